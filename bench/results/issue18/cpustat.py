import sys,collections,statistics
rows=[l.split() for l in open(sys.argv[1]) if l.strip()]
cpu=collections.defaultdict(dict)  # (bench,bin) -> round -> cpu
base=collections.defaultdict(dict)
for tag,r,b,bench,n,u,s in rows:
    c=float(u)+float(s); n=int(n.rstrip('x'))
    if bench=='Q1base': base[b][r]=c
    else: cpu[(bench,b)][r]=(c,n)
benches=sorted({k[0] for k in cpu})
print(f"{'bench':6s} {'main µs':>9s} {'gen µs':>9s} {'lists µs':>9s} {'gen/main':>9s} {'lists/main':>10s} {'gen/lists':>9s}  rounds")
for be in benches:
    per={}
    for b in ('main','gen','lists'):
        per[b]={r:(c-base[b].get(r,0.1))/n*1e6 for r,(c,n) in cpu[(be,b)].items()}
    med={b:statistics.median(v.values()) if v else float('nan') for b,v in per.items()}
    def ratio(x,y):
        rs=[per[x][r]/per[y][r] for r in per[x] if r in per[y]]
        return statistics.median(rs) if rs else float('nan'), len(rs)
    g,n=ratio('gen','main'); l,_=ratio('lists','main'); gl,_=ratio('gen','lists')
    print(f"{be:6s} {med['main']:9.0f} {med['gen']:9.0f} {med['lists']:9.0f} {g:9.3f} {l:10.3f} {gl:9.3f}  {n}")
