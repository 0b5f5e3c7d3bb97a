#!/usr/bin/env bash
# The HTML reports in a real browser: every shipped scenario's one-run and ensemble pages (the
# one-run pages mark the steps actions were taken in), the Lithuania–Belarus comparison, three
# sweeps, four explanations and a hostile scenario, rendered by headless Chromium (Debian's
# `chromium`, installed if missing) to PNG. Fails on a script error or a blocked resource (the
# pages record them in `data-errors`), a chart that did not draw, a page whose script did not
# finish, a blank screenshot, or script injected by the hostile scenario.
#
# Usage: scripts/browser-check.sh [OUT_DIR]   (screenshots and pages kept in OUT_DIR if given)
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  echo "browser-check: installing chromium" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

cargo build --quiet --bin detente
bin="$(pwd)/${CARGO_TARGET_DIR:-target}/debug/detente"
case "${CARGO_TARGET_DIR:-}" in /*) bin="$CARGO_TARGET_DIR/debug/detente" ;; esac

out="${1:-}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
out="${out:-$work/out}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

# The page's own check, read back from the DOM Chromium dumps, and the screenshot's pixels.
check() {
  local name="$1" page="$2"
  local png="$out/$name.png" dom="$work/$name.dom"
  local profile
  profile="$(mktemp -d "$work/profile.XXXXXX")"
  timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --hide-scrollbars --window-size=1280,2400 \
    --screenshot="$png" --dump-dom "file://$page" >"$dom" 2>"$work/$name.log" || {
    echo "FAIL $name: chromium failed" >&2
    tail -5 "$work/$name.log" >&2
    return 1
  }
  local root expected drawn missing
  root="$(grep -o '<html[^>]*>' "$dom" | head -1)"
  expected="$(grep -o 'data-chart="' "$page" | wc -l)"
  drawn="$(sed -n 's/.* data-charts="\([0-9]*\)".*/\1/p' <<<"$root")"
  missing="$(sed -n 's/.* data-charts-missing="\([^"]*\)".*/\1/p' <<<"$root")"
  if [[ "$root" == *'data-errors="'* ]]; then
    echo "FAIL $name: $(sed -n 's/.* data-errors="\([^"]*\)".*/\1/p' <<<"$root")" >&2
    return 1
  fi
  if [[ "$root" != *'data-ready="1"'* ]]; then
    echo "FAIL $name: the page's script did not finish (blocked or broken)" >&2
    return 1
  fi
  if [[ "$expected" -eq 0 || "$drawn" != "$expected" || -n "$missing" ]]; then
    echo "FAIL $name: $drawn of $expected charts drew; missing: ${missing:-none}" >&2
    return 1
  fi
  if grep -q 'data-pwned="' "$dom"; then
    echo "FAIL $name: injected script ran" >&2
    return 1
  fi
  # A blank page is white: count the bytes of the decoded image that are neither 0 nor 255
  # (white rows filter to zeros).
  python3 - "$png" "$name" <<'EOF' || return 1
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
pos, idat = 8, b""
while pos < len(data):
    (length,) = struct.unpack(">I", data[pos : pos + 4])
    if data[pos + 4 : pos + 8] == b"IDAT":
        idat += data[pos + 8 : pos + 8 + length]
    pos += 12 + length
raw = zlib.decompress(idat)
ink = (len(raw) - raw.count(0) - raw.count(255)) / max(1, len(raw))
if ink < 0.005:
    sys.exit(f"FAIL {sys.argv[2]}: the screenshot is blank ({ink:.4f} of it drawn)")
EOF
  echo "ok   $name: $drawn charts"
}

failed=0
pages=()
for scenario in scenarios/*/*.toml; do
  name="$(basename "$(dirname "$scenario")")_$(basename "$scenario" .toml)"
  "$bin" run "$scenario" -q -o "$out/$name-run.html"
  "$bin" run "$scenario" -q --runs 40 -o "$out/$name-ensemble.html"
  pages+=("$name-run" "$name-ensemble")
done
(
  cd scenarios/lithuania_belarus
  "$bin" compare baseline.toml monitoring.toml combined.toml --runs 200 -q -o "$out/lb-compare.html"
)
pages+=("lb-compare")
# Sweeps: Sobol bars of the Ishigami function, Morris bars of the recommendations, and the
# response curves and tornado of a one-at-a-time design.
"$bin" sweep scenarios/sensitivity/ishigami.toml --points 64 -q -o "$out/ishigami-sweep.html"
(
  cd scenarios/lithuania_belarus
  "$bin" sweep combined_sensitivity.toml --runs 20 -q -o "$out/lb-sweep-morris.html"
  "$bin" sweep combined_sensitivity.toml --design oat --runs 20 -q -o "$out/lb-sweep-oat.html"
)
pages+=("ishigami-sweep" "lb-sweep-morris" "lb-sweep-oat")
# Explanations: one run's waterfall (with its largest steps), an ensemble's with intervals and
# the counterfactual's forests, an outcome's, and a clamped place. (Every one-run page above
# marks the steps its actions were taken in.)
(
  cd scenarios/lithuania_belarus
  "$bin" explain baseline.toml "tension(LTU, BLR)" -q -o "$out/lb-explain-run.html"
  "$bin" explain combined.toml "tension(LTU, BLR)" --runs 200 \
    --counterfactual ltu_unified_front ltu_backchannel -q -o "$out/lb-explain-ensemble.html"
  "$bin" explain combined.toml outcome.border_reopened --runs 100 --counterfactual \
    -q -o "$out/lb-explain-outcome.html"
  "$bin" explain baseline.toml "trust(LTU, BLR)" -q -o "$out/lb-explain-clamp.html"
)
pages+=("lb-explain-run" "lb-explain-ensemble" "lb-explain-outcome" "lb-explain-clamp")

# A scenario whose free texts are markup and script: escaped, and blocked if they were not.
cat >"$work/hostile.toml" <<'EOF'
[scenario]
name = "</script><script>document.documentElement.setAttribute('data-pwned','1')</script>"
description = "<img src=x onerror=\"document.documentElement.setAttribute('data-pwned','2')\"> ]]>"
steps = 6
[variables]
tension = { of = "relation", default = 0.5, range = [0, 1] }
[actors.A]
name = "<svg onload=\"document.documentElement.setAttribute('data-pwned','3')\">"
kind = "\" onmouseover=\"document.documentElement.setAttribute('data-pwned','4')"
[actors.B]
name = "</title></svg><script>document.documentElement.setAttribute('data-pwned','5')</script>"
[[relations]]
from = "A"
to = "B"
kind = "</style><style>body{display:none}</style>"
[outcomes]
hot = { when = "tension(A, B) > 0.6", description = "</td><img src=x onerror=alert(1)>" }
EOF
"$bin" run "$work/hostile.toml" -q --runs 10 -o "$out/hostile-ensemble.html"
"$bin" run "$work/hostile.toml" -q -o "$out/hostile-run.html"
"$bin" explain "$work/hostile.toml" "tension(A, B)" -q -o "$out/hostile-explain.html"
pages+=("hostile-ensemble" "hostile-run" "hostile-explain")

for page in "${pages[@]}"; do
  check "$page" "$out/$page.html" || failed=$((failed + 1))
done
echo "browser-check: ${#pages[@]} pages, $failed failed"
[[ "$failed" -eq 0 ]]
