package graph

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
)

// TestMarshalListInOrderAndRecovers: marshalList gives each element its own
// field context (index set), in order, and turns a panicking element into a
// GraphQL error and a null list, as gqlgen's concurrent version does.
func TestMarshalListInOrderAndRecovers(t *testing.T) {
	recoverFn := func(ctx context.Context, err any) error { return errors.New("internal system error") }
	ctx := graphql.WithOperationContext(context.Background(), &graphql.OperationContext{RecoverFunc: recoverFn})
	ctx = graphql.WithResponseContext(ctx, graphql.DefaultErrorPresenter, recoverFn)

	var order []int
	ret := marshalList(ctx, 3, 0, false, func(ctx context.Context, i int) graphql.Marshaler {
		if idx := graphql.GetFieldContext(ctx).Index; idx == nil || *idx != i {
			t.Fatalf("element %d: field context index %v", i, idx)
		}
		order = append(order, i)
		return graphql.MarshalInt(i)
	})
	if len(ret) != 3 || len(order) != 3 || order[0] != 0 || order[2] != 2 {
		t.Fatalf("got %v, order %v", ret, order)
	}
	if errs := graphql.GetErrors(ctx); len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}

	ret = marshalList(ctx, 3, 0, false, func(ctx context.Context, i int) graphql.Marshaler {
		if i == 1 {
			panic("boom")
		}
		return graphql.MarshalInt(i)
	})
	if ret != nil {
		t.Fatalf("a panicking element left the list %v", ret)
	}
	if errs := graphql.GetErrors(ctx); len(errs) != 1 || errs[0].Message != "internal system error" {
		t.Fatalf("errors: %v", errs)
	}
}

// TestNothingUnmarshalsInputFromContext: the generated Exec no longer puts
// gqlgen's map of input unmarshalers in the context (unusedUnmarshalerMap),
// so graphql.UnmarshalInputFromContext would fail; nothing may call it.
func TestNothingUnmarshalsInputFromContext(t *testing.T) {
	root := ".."
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(src, []byte("UnmarshalInputFromContext(")) {
			t.Errorf("%s calls graphql.UnmarshalInputFromContext: restore the map (graph/internal/seqlists)", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
