# microtable.awk: turns `go test -bench` output (several -count runs) into a
# Markdown table of medians: ns/op, cpu-ns/op, B/op, allocs/op per benchmark.
function median(s,   a, n, i, j, t) {
  n = split(s, a, " ")
  for (i = 2; i <= n; i++)  # insertion sort: a handful of values
    for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
  return a[int((n + 1) / 2)]
}
/^Benchmark/ {
  name = $1
  sub(/^Benchmark/, "", name)
  sub(/-[0-9]+$/, "", name)
  if (!(name in seen)) { seen[name] = 1; order[++count] = name }
  for (i = 3; i < NF; i += 2) vals[name, $(i + 1)] = vals[name, $(i + 1)] " " $i
}
END {
  print "| benchmark | ns/op | cpu-ns/op | B/op | allocs/op |"
  print "|---|---:|---:|---:|---:|"
  for (k = 1; k <= count; k++) {
    n = order[k]
    printf "| %s | %.0f | %.0f | %d | %d |\n", n, median(vals[n, "ns/op"]), median(vals[n, "cpu-ns/op"]), median(vals[n, "B/op"]), median(vals[n, "allocs/op"])
  }
}
