#!/usr/bin/env bash
# On the GPU machine (bash bench/gpu/run.sh [PAIR...]): builds each pair's harness (bench/gpu/<pair>/main.cu) and runs it;
# one JSON line per variant goes to $OUT/results.jsonl (or ./results.jsonl), build and run logs to logs.txt.
set -uo pipefail
cd "$(dirname "$0")"
out="${OUT:-.}"
results="$out/results.jsonl"
: >"$results"
logs="$out/logs.txt"
: >"$logs"
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv,noheader >"$out/gpu.txt" 2>&1
nvcc --version | tail -1 >>"$out/gpu.txt"
# the pairs named as arguments, or every pair of pairs.json
pairs=$(python3 -c 'import json, sys; [print(p["pair"], p.get("libs", "")) for p in json.load(open("pairs.json"))["pairs"] if len(sys.argv) < 2 or p["pair"] in sys.argv[1:]]' "$@")
# build every harness at once (nvcc is the slow part), then run them one at a time
while read -r pair libs; do
  [ -n "$pair" ] && [ -f "$pair/after.cu" ] && [ -f "$pair/main.cu" ] || continue
  nvcc -O3 -arch=sm_90 -std=c++17 -o "/tmp/bench_$pair" "$pair/main.cu" $libs >"/tmp/build_$pair.log" 2>&1 &
done <<<"$pairs"
wait
while read -r pair libs; do
  [ -n "$pair" ] || continue
  if [ -f "$pair/main.py" ]; then
    # a Triton pair: the harness is Python (python3 there holds PyTorch and Triton)
    echo "== $pair" >>"$logs"
    timeout 300 python3 "$pair/main.py" >>"$results" 2>>"$logs" || echo "{\"pair\":\"$pair\",\"error\":\"run failed: see logs.txt\"}" >>"$results"
    continue
  fi
  if [ ! -f "$pair/after.cu" ]; then echo "{\"pair\":\"$pair\",\"error\":\"no after.cu (run generate.mjs)\"}" >>"$results"; continue; fi
  echo "== $pair" >>"$logs"
  cat "/tmp/build_$pair.log" >>"$logs"
  if [ ! -x "/tmp/bench_$pair" ]; then
    echo "{\"pair\":\"$pair\",\"error\":\"build failed: see logs.txt\"}" >>"$results"
    continue
  fi
  timeout 300 "/tmp/bench_$pair" >>"$results" 2>>"$logs" || echo "{\"pair\":\"$pair\",\"error\":\"run failed: see logs.txt\"}" >>"$results"
done <<<"$pairs"
cat "$results"
