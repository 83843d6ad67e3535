package graph

// For rendered_test.go (package graph_test).

// SwapRenderedStatements replaces r's cache of rendered SQL text with c
// (nil turns reuse off) and returns the one it had.
func SwapRenderedStatements(r *Resolver, c any) any {
	old := r.rendered
	r.rendered, _ = c.(*renderedStatements)
	return old
}

// CountRenderedStatements returns how many shapes r reuses the text of and
// how many it leaves to ent.
func CountRenderedStatements(r *Resolver) (reused, viaEnt int) {
	r.rendered.mu.RLock()
	defer r.rendered.mu.RUnlock()
	for _, text := range r.rendered.text {
		if text == "" {
			viaEnt++
		} else {
			reused++
		}
	}
	return reused, viaEnt
}
