#!/usr/bin/env bash
# Times `confpass -p` against the same job done with the OpenSSL command line,
# side by side in one hyperfine run (PRODUCT §7), on copies of the shipped
# sample in a temporary directory. Needs: a release build, openssl, hyperfine
# (apt-get install hyperfine). Usage: scripts/bench-vs-openssl.sh [RUNS]
#
# scripts/bench-backends.sh sources this file for its helpers (write_openssl_p,
# medians, fresh); sourced, it defines them and runs nothing.
set -euo pipefail

# The OpenSSL way of doing what `confpass -p` does on a fresh install: a
# 3072-bit pair (dec.pem 0600, enc.pem), RSA-OAEP-SHA256 of the password,
# the value and `encryption = true` edited in, the file replaced atomically.
# Written to $1/openssl-p.sh; run as `bash $1/openssl-p.sh DIR`.
write_openssl_p() {
  cat > "$1/openssl-p.sh" <<'SH'
set -euo pipefail
cd "$1"
(umask 077; openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out dec.pem 2>/dev/null)
openssl pkey -in dec.pem -pubout -out enc.pem
kid=$(openssl pkey -pubin -in enc.pem -outform DER | sha256sum | cut -c1-16)
pw=$(sed -n 's/^password = //p' confserv.conf)
data=$(printf '%s' "$pw" | openssl pkeyutl -encrypt -pubin -inkey enc.pem \
  -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256 | base64 -w0)
sed -e "s|^password = .*|password = ENC[RSA-OAEP-SHA256,kid:$kid,data:$data]|" \
    -e 's|^encryption = false|encryption = true|' confserv.conf > .confserv.conf.tmp
sync .confserv.conf.tmp
mv .confserv.conf.tmp confserv.conf
SH
}

# Medians of a hyperfine JSON export (PRODUCT §7 states its targets as
# medians; hyperfine's table shows means). With two commands, the second's
# median over the first's; with more, each one's over the last's (the
# baseline, put last).
medians() {
  python3 - "$1" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
for r in results:
    print("median %s: %.1f ms" % (r["command"], r["median"] * 1000))
if len(results) == 2:
    print("ratio of medians: %.2f" % (results[1]["median"] / results[0]["median"]))
elif len(results) > 2:
    base = results[-1]
    for r in results[:-1]:
        print("ratio of medians, %s / %s: %.2f" % (r["command"], base["command"], r["median"] / base["median"]))
PY
}

# A fresh copy of the sample in $work/$1 (hyperfine's --prepare: export
# work, sample and this function first).
fresh() { rm -rf "${work:?}/$1" && mkdir "$work/$1" && cp "$sample" "$work/$1/"; }

# The scratch directory both scripts time in (removed on exit), the sample
# it copies, and openssl-p.sh in it; exported for hyperfine's shells.
setup_work() {
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  sample="$PWD/testdata/sample/confserv.conf"
  write_openssl_p "$work"
  export -f fresh
  export work sample
}

main() {
  cd "$(dirname "$0")/.."
  runs=${1:-30}
  cargo build --release --locked --quiet
  bin="$PWD/target/release/confpass"
  setup_work

  echo "== fresh install: confpass -p vs OpenSSL command line (3072-bit), $runs runs each"
  hyperfine --shell=bash --style basic --runs "$runs" --warmup 2 --export-markdown "$work/fresh.md" --export-json "$work/fresh.json" \
    --prepare "fresh c" -n "confpass -p (fresh)" "$bin -p -c $work/c/confserv.conf" \
    --prepare "fresh o" -n "openssl (fresh)" "bash $work/openssl-p.sh $work/o"
  cat "$work/fresh.md"
  medians "$work/fresh.json"

  echo "== -p with existing keys (rotation of the password via stdin)"
  fresh k && "$bin" -p -c "$work/k/confserv.conf" >/dev/null
  hyperfine --shell=bash --style basic --runs "$runs" --warmup 2 --export-markdown "$work/existing.md" --export-json "$work/existing.json" \
    -n "confpass -p (existing keys)" "printf 'N3w-pass\n' | $bin -p --password-stdin -c $work/k/confserv.conf"
  cat "$work/existing.md"
  medians "$work/existing.json"

  echo "== OpenSSL's private-key operation, for the start-up call's comparison"
  openssl speed -seconds 3 rsa3072 2>/dev/null | tail -2
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi
