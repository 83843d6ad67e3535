import re,statistics,subprocess,collections,sys
res='/tmp/gqb/res/'
def cpu(tag):
    rows=[l.split() for l in open(res+f'cpu-{tag}.txt') if l.strip()]
    c=collections.defaultdict(dict); base=collections.defaultdict(dict)
    for row in rows:
        t,r,b,be,n,u,s=row[:7]; v=float(u)+float(s); n=int(n.rstrip('x'))
        if be=='Q1base': base[b][r]=v
        else: c[(be,b)][r]=(v,n)
    out={}
    for be in ['Q1','Q2','Q3mix','Q4']:
        per={b:{r:(v-base[b][r])/n*1e6 for r,(v,n) in c[(be,b)].items() if r in base[b]} for b in ('main','rw','br')}
        med={b:statistics.median(v.values()) for b,v in per.items()}
        def ratio(x,y):
            rs=[per[x][r]/per[y][r] for r in per[x] if r in per[y]]
            return statistics.median(rs),len(rs)
        out[be]=(med,ratio('br','rw'),ratio('main','rw'),ratio('br','main'))
    return out
def fmt(us):
    return f"{us/1000:.2f} ms" if us>=1000 else f"{us:.0f} µs"
names={'Q1':'Q1','Q2':'Q2','Q3mix':'Q3 mix','Q4':'Q4'}
print("| CPU per request | main | rewrite | this branch | branch / rewrite | main / rewrite |")
print("| --- | --- | --- | --- | --- | --- |")
rounds={}
for tag,dbn in [('sqlite','SQLite'),('pg','PostgreSQL')]:
    o=cpu(tag)
    for be in ['Q1','Q2','Q3mix','Q4']:
        med,(a,n),(m,_),_=o[be]; rounds[tag]=n
        print(f"| {names[be]}, {dbn} | {fmt(med['main'])} | {fmt(med['rw'])} | {fmt(med['br'])} | {a:.2f} | {m:.2f} |")
print(rounds)
print()
def allocs(tag,b):
    d=collections.defaultdict(list)
    for l in open(res+f'out-{tag}-{b}.txt'):
        if not l.startswith('Benchmark'): continue
        f=l.split()
        if f[1]=='1': continue
        name=f[0].rsplit('-',1)[0]; d[name].append((int(f[-2]),float(f[-4])))
    return {k:(statistics.median(x[0] for x in v),statistics.median(x[1] for x in v)) for k,v in d.items()}
def wallocs(tag,b):
    d={}
    for l in open(res+f'w-{tag}-{b}.txt'):
        if not l.startswith('Benchmark'): continue
        f=l.split(); name=f[0].rsplit('-',1)[0]
        if 'parallel' in name: continue
        d[name]=(int(f[-2]),float(f[-4]))
    return d
print("| allocations (bytes) per request | main | rewrite | this branch |")
print("| --- | --- | --- | --- |")
for tag,dbn in [('sqlite','SQLite'),('pg','PostgreSQL')]:
    A={b:allocs(tag,b) for b in ('main','rw','br')}
    try: W={b:wallocs(tag,b) for b in ('main','rw','br')}
    except FileNotFoundError: W=None
    for k,lab in [('BenchmarkQ1','Q1'),('BenchmarkQ2','Q2'),('BenchmarkQ3/mix','Q3 mix'),('BenchmarkQ4','Q4')]:
        print(f"| {lab}, {dbn} | "+" | ".join(f"{A[b][k][0]:,.0f} ({A[b][k][1]/1024:,.0f} KiB)".replace(',',' ') for b in ('main','rw','br'))+" |")
    if W:
        for k,lab in [('BenchmarkW1/provisionCustomer','W1 provisionCustomer'),('BenchmarkW1/updateOneCustomer','W1 updateOneCustomer'),('BenchmarkW2','W2 (10 000 customers)')]:
            try: print(f"| {lab}, {dbn} | "+" | ".join(f"{W[b][k][0]:,.0f} ({W[b][k][1]/1024:,.0f} KiB)".replace(',',' ') for b in ('main','rw','br'))+" |")
            except KeyError: pass
