#!/usr/bin/env bash
# Both cryptographic backends side by side against OpenSSL, in one run
# (issue 23, BENCHMARKS.md), on the same key and file:
#  (a) in process, criterion (benches/confpass.rs) once per backend: encrypt,
#      decrypt and the start-up call (read the file, load the key, decrypt),
#      with OpenSSL's RSA-OAEP-SHA256 decryption and bare private-key
#      operation on the same key measured in the same run; a table of medians
#      and of the start-up call's ratios to OpenSSL's operations;
#  (b) whole process, hyperfine: `--reveal` of the rsa and aws-lc builds vs
#      `openssl pkeyutl -decrypt` of the same value with the same dec.pem, and
#      a fresh-install `-p` of both builds vs the OpenSSL command-line job
#      (scripts/bench-vs-openssl.sh's openssl-p.sh).
# Run it on a quiet machine; every build happens first, then the timings.
# Needs: openssl, libssl-dev, hyperfine, python3.
# Usage: scripts/bench-backends.sh [RUNS]   (hyperfine runs, default 30)
#        BENCH_QUICK=1 scripts/bench-backends.sh 5   (a short trial: criterion
#        with --measurement-time 2 --warm-up-time 1 --sample-size 10)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/bench-vs-openssl.sh
source scripts/bench-vs-openssl.sh
runs=${1:-30}
unset CONFPASS_DECRYPTION_KEY
for tool in openssl hyperfine python3; do
  command -v "$tool" >/dev/null || { echo "bench-backends: $tool is missing" >&2; exit 1; }
done

target=$(cargo metadata --locked --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
setup_work

# The two backends: name, cargo's feature arguments (aws-lc wins when both
# features are on, so the defaults plus aws-lc is the aws-lc build).
backends=(rsa aws-lc)
declare -A features=([rsa]="" [aws-lc]="--features aws-lc")
crit_args=()
if [[ ${BENCH_QUICK:-} == 1 ]]; then
  crit_args=(--measurement-time 2 --warm-up-time 1 --sample-size 10)
fi
# The crypto benches, the start-up call and OpenSSL's; not keygen, not the
# large files.
filter='^(encrypt|decrypt|startup-call)/3072/|^openssl/'

echo "== building (release binaries and benches, both backends)"
for b in "${backends[@]}"; do
  # shellcheck disable=SC2086 # features[$b] is zero or two words
  cargo build --release --locked --quiet ${features[$b]}
  cp "$target/release/confpass" "$work/confpass-$b"
  # shellcheck disable=SC2086
  cargo bench --locked --bench confpass --no-run --quiet ${features[$b]}
done
for b in "${backends[@]}"; do
  echo "confpass-$b: $("$work/confpass-$b" --version | tr '\n' ' ')"
done
echo "openssl: $(openssl version)"

# (a) criterion, once per backend. Each run's medians (ns) are taken from
# the estimates it wrote (newer than its stamp), by benchmark id.
collect() {
  python3 - "$target/criterion" "$1" <<'PY'
import json, os, sys
root, stamp = sys.argv[1], os.path.getmtime(sys.argv[2])
out = {}
for dirpath, _, files in os.walk(root):
    if os.path.basename(dirpath) != "new" or "estimates.json" not in files:
        continue
    est = os.path.join(dirpath, "estimates.json")
    if os.path.getmtime(est) < stamp:
        continue
    bid = json.load(open(os.path.join(dirpath, "benchmark.json")))["full_id"]
    out[bid] = json.load(open(est))["median"]["point_estimate"]
json.dump(out, sys.stdout)
PY
}
for b in "${backends[@]}"; do
  echo "== criterion, backend $b"
  touch "$work/stamp-$b"
  sleep 1 # mtimes: estimates written in this run are newer than the stamp
  # shellcheck disable=SC2086
  cargo bench --locked --bench confpass --quiet ${features[$b]} -- "${crit_args[@]}" "$filter" \
    > "$work/criterion-$b.log" 2>&1 || { cat "$work/criterion-$b.log" >&2; exit 1; }
  grep -E '^(encrypt|decrypt|startup-call|openssl)/|time:' "$work/criterion-$b.log" || true
  collect "$work/stamp-$b" > "$work/criterion-$b.json"
done

# (b) whole process. One encrypted file and key pair, made by the rsa build;
# the ciphertext of its value for openssl pkeyutl.
echo "== whole process: --reveal"
fresh r
"$work/confpass-rsa" -p -c "$work/r/confserv.conf" >/dev/null
pw=$(sed -n 's/^password = //p' "$sample")
sed -n 's/^password = ENC\[RSA-OAEP-SHA256,kid:[^,]*,data:\([^]]*\)\]$/\1/p' "$work/r/confserv.conf" |
  base64 -d > "$work/r/ct.bin"
pkeyutl="openssl pkeyutl -decrypt -inkey $work/r/dec.pem -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256 -in $work/r/ct.bin"
for check in "$work/confpass-rsa --reveal -c $work/r/confserv.conf" \
             "$work/confpass-aws-lc --reveal -c $work/r/confserv.conf" "$pkeyutl"; do
  got=$($check 2>/dev/null)
  [[ "$got" == "$pw" ]] || { echo "bench-backends: wrong output from: $check" >&2; exit 1; }
done
hyperfine -N --output=null --style basic --runs "$runs" --warmup 3 \
  --export-markdown "$work/reveal.md" --export-json "$work/reveal.json" \
  -n "confpass --reveal (rsa)" "$work/confpass-rsa --reveal -c $work/r/confserv.conf" \
  -n "confpass --reveal (aws-lc)" "$work/confpass-aws-lc --reveal -c $work/r/confserv.conf" \
  -n "openssl pkeyutl -decrypt" "$pkeyutl"
cat "$work/reveal.md"
medians "$work/reveal.json"

echo "== whole process: fresh -p (3072-bit key generation included)"
hyperfine --shell=bash --style basic --runs "$runs" --warmup 2 \
  --export-markdown "$work/fresh.md" --export-json "$work/fresh.json" \
  --prepare "fresh c" -n "confpass -p (fresh, rsa)" "$work/confpass-rsa -p -c $work/c/confserv.conf" \
  --prepare "fresh a" -n "confpass -p (fresh, aws-lc)" "$work/confpass-aws-lc -p -c $work/a/confserv.conf" \
  --prepare "fresh o" -n "openssl (fresh)" "bash $work/openssl-p.sh $work/o"
cat "$work/fresh.md"
medians "$work/fresh.json"

echo "== summary"
python3 - "$work" "${backends[@]}" <<'PY'
import json, sys
work, backends = sys.argv[1], sys.argv[2:]
us = lambda ns: "%.1f µs" % (ns / 1000) if ns is not None else "–"
ratio = lambda a, b: "%.2f" % (a / b) if a is not None and b else "–"
print("In process (criterion medians; OpenSSL measured in the same run as the backend):\n")
print("| backend | encrypt/3072 | decrypt/3072 | startup-call/3072 | OpenSSL OAEP decrypt | OpenSSL private op "
      "| startup / private op | startup / OAEP decrypt |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for b in backends:
    m = json.load(open("%s/criterion-%s.json" % (work, b)))
    get = lambda k: m.get(k)
    s, o, p = get("startup-call/3072/" + b), get("openssl/oaep-sha256-decrypt/3072"), get("openssl/private-op/3072")
    print("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
        b, us(get("encrypt/3072/" + b)), us(get("decrypt/3072/" + b)), us(s), us(o), us(p),
        ratio(s, p), ratio(s, o)))
print("\nWhole process (hyperfine medians):\n")
print("| job | rsa | aws-lc | OpenSSL | rsa / OpenSSL | aws-lc / OpenSSL |")
print("|---|---:|---:|---:|---:|---:|")
for job, f in (("--reveal vs pkeyutl -decrypt", "reveal"), ("fresh -p vs openssl-p.sh", "fresh")):
    r = [x["median"] for x in json.load(open("%s/%s.json" % (work, f)))["results"]]
    print("| %s | %.1f ms | %.1f ms | %.1f ms | %.2f | %.2f |" % (
        job, r[0] * 1000, r[1] * 1000, r[2] * 1000, r[0] / r[2], r[1] / r[2]))
m = json.load(open("%s/criterion-aws-lc.json" % work))
s, p = m.get("startup-call/3072/aws-lc"), m.get("openssl/private-op/3072")
rv = [x["median"] for x in json.load(open("%s/reveal.json" % work))["results"]]
print("\nIssue 23: aws-lc start-up call / OpenSSL private op = %s (target <= 2); "
      "aws-lc --reveal / openssl pkeyutl = %.2f (target < 1)" % (ratio(s, p), rv[1] / rv[2]))
PY
