#!/usr/bin/env bash
# Builds the Leptos frontend into frontend/dist/, ready for the server to serve at `/`:
#   app-<hash>.js, app-<hash>_bg.wasm, snippet-<hash>.js (the app's inline JS), style-<hash>.css,
#   echarts-<hash>.min.js (npm echarts, loaded by the first chart), leaflet-<hash>.js and
#   leaflet-<hash>.css (npm leaflet, loaded by the visit map), index.html, sw.js (the service worker
#   that keeps the app shell for the phone pages offline); each also as .gz and .br.
# Hashed names let the server cache assets for a year; index.html is the only file that changes name-free.
#
# Needs: the wasm32-unknown-unknown target, wasm-bindgen-cli equal to Cargo.lock's wasm-bindgen,
# and npm binaryen, echarts and leaflet in tests/e2e/node_modules (scripts/install-tools.sh installs them).
# Honours CARGO_TARGET_DIR (default: target/ in the workspace).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

log() { echo "[build-frontend] $*" >&2; }
die() { echo "[build-frontend] error: $*" >&2; exit 1; }

target_dir="${CARGO_TARGET_DIR:-target}"
case "$target_dir" in
  /*) ;;
  *) target_dir="$root/$target_dir" ;;
esac
profile="wasm-release"
crate="youguanjia-frontend"
wasm_in="$target_dir/wasm32-unknown-unknown/$profile/${crate}.wasm"
dist="$root/frontend/dist"
wasm_opt="$root/tests/e2e/node_modules/.bin/wasm-opt"
echarts_js="$root/tests/e2e/node_modules/echarts/dist/echarts.min.js"
leaflet_dir="$root/tests/e2e/node_modules/leaflet/dist"

# Tools: check before the slow build so a missing one fails fast.
want_bindgen=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)
have_bindgen=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
[ -n "$have_bindgen" ] || die "wasm-bindgen not found; run scripts/install-tools.sh"
[ "$want_bindgen" = "$have_bindgen" ] \
  || die "wasm-bindgen CLI is $have_bindgen but Cargo.lock has $want_bindgen; run scripts/install-tools.sh"
# Debian's binaryen makes a wasm that loads as a blank page; only the npm one (v132) is used.
[ -x "$wasm_opt" ] || die "$wasm_opt missing; run scripts/install-tools.sh"
[ -f "$echarts_js" ] || die "$echarts_js missing; run scripts/install-tools.sh"
[ -f "$leaflet_dir/leaflet.js" ] || die "$leaflet_dir/leaflet.js missing; run scripts/install-tools.sh"
command -v node >/dev/null || die "node is required (brotli compression)"
command -v gzip >/dev/null || die "gzip is required"

# Size flags for the wasm32 crates only (with --target, RUSTFLAGS skip host build scripts):
# - `erase_components` makes Leptos type-erase views, so each view is not compiled as its own
#   deeply nested type: about 10 % less WASM;
# - the path remaps keep home-directory paths (panic locations) out of the binary.
cargo_home="${CARGO_HOME:-$HOME/.cargo}"
export RUSTFLAGS="${RUSTFLAGS:-} --cfg erase_components --remap-path-prefix=$cargo_home/registry/src=crates --remap-path-prefix=$root=."

log "cargo build ($profile, wasm32) into $target_dir"
cargo build -p "$crate" --target wasm32-unknown-unknown --profile "$profile"
[ -f "$wasm_in" ] || die "expected $wasm_in after the build"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

log "wasm-bindgen"
wasm-bindgen --target web --no-typescript --out-dir "$work" --out-name app "$wasm_in"

log "wasm-opt -Oz"
"$wasm_opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue \
  "$work/app_bg.wasm" -o "$work/app_bg.opt.wasm"
mv "$work/app_bg.opt.wasm" "$work/app_bg.wasm"

hash_of() { sha256sum "$1" | cut -c1-16; }

rm -rf "$dist"
mkdir -p "$dist"

# `#[wasm_bindgen(inline_js)]` snippets: app.js imports them from ./snippets/<crate>-<id>/inlineN.js.
# Each is served under its own content hash and app.js's `from '…'` clauses are pointed at it
# (before app.js is hashed). The path also names the module in the WASM's import object: that
# key stays as it is.
if [ -d "$work/snippets" ]; then
  while IFS= read -r snippet; do
    rel="${snippet#"$work"/}"
    name="snippet-$(hash_of "$snippet").js"
    cp "$snippet" "$dist/$name"
    grep -qF "from './$rel'" "$work/app.js" || grep -qF "from \"./$rel\"" "$work/app.js" \
      || die "app.js does not import ./$rel"
    sed -i -E "s#from (['\"])\./$rel(['\"])#from \1./$name\2#g" "$work/app.js"
  done < <(find "$work/snippets" -type f -name '*.js' | sort)
fi

# index.html passes the wasm path to init() explicitly, so the JS glue never names the wasm file
# and each file can be named after its own content.
wasm_hash=$(hash_of "$work/app_bg.wasm")
js_hash=$(hash_of "$work/app.js")
css_hash=$(hash_of frontend/static/style.css)
echarts_hash=$(hash_of "$echarts_js")
leaflet_js_name="leaflet-$(hash_of "$leaflet_dir/leaflet.js").js"
leaflet_css_name="leaflet-$(hash_of "$leaflet_dir/leaflet.css").css"
js_name="app-${js_hash}.js"
wasm_name="app-${wasm_hash}_bg.wasm"
css_name="style-${css_hash}.css"
echarts_name="echarts-${echarts_hash}.min.js"

cp "$work/app.js" "$dist/$js_name"
cp "$work/app_bg.wasm" "$dist/$wasm_name"
cp frontend/static/style.css "$dist/$css_name"
cp "$echarts_js" "$dist/$echarts_name"
# The map draws circle markers only (SVG), so leaflet.css's marker images are not needed.
cp "$leaflet_dir/leaflet.js" "$dist/$leaflet_js_name"
cp "$leaflet_dir/leaflet.css" "$dist/$leaflet_css_name"
sed -e "s|__JS__|$js_name|g" -e "s|__WASM__|$wasm_name|g" -e "s|__CSS__|$css_name|g" \
  -e "s|__ECHARTS__|$echarts_name|g" -e "s|__LEAFLET_JS__|$leaflet_js_name|g" \
  -e "s|__LEAFLET_CSS__|$leaflet_css_name|g" frontend/index.html > "$dist/index.html"
grep -q "__" "$dist/index.html" && die "index.html still has a placeholder"

# The service worker keeps index.html, the app and its style for offline starts; its version is
# index.html's hash (which names every asset), so each build installs afresh.
shell="\"/index.html\", \"/$js_name\", \"/$wasm_name\", \"/$css_name\""
for snippet in "$dist"/snippet-*.js; do
  if [ -e "$snippet" ]; then shell="$shell, \"/$(basename "$snippet")\""; fi
done
sed -e "s|__SW_VERSION__|$(hash_of "$dist/index.html")|" -e "s|__SW_SHELL__|$shell|" \
  frontend/static/sw.js > "$dist/sw.js"
grep -q "__SW_" "$dist/sw.js" && die "sw.js still has a placeholder"

log "precompressing (gzip -9, brotli q11)"
for f in "$dist"/*; do
  gzip -9 -k -n -f "$f"
done
node -e '
  const fs = require("fs"), zlib = require("zlib");
  for (const f of process.argv.slice(1)) {
    const out = zlib.brotliCompressSync(fs.readFileSync(f), {
      params: {
        [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
        [zlib.constants.BROTLI_PARAM_SIZE_HINT]: fs.statSync(f).size,
      },
    });
    fs.writeFileSync(f + ".br", out);
  }
' $(find "$dist" -maxdepth 1 -type f ! -name '*.gz' ! -name '*.br' | sort)

size() { stat -c %s "$1"; }
kb() { awk -v b="$1" 'BEGIN { printf "%.1f KB", b / 1024 }'; }
w="$dist/$wasm_name"
echo "frontend/dist written:"
ls -l "$dist" | awk 'NR > 1 { printf "  %-48s %9d\n", $9, $5 }'
echo "wasm: raw $(kb "$(size "$w")"), gzip $(kb "$(size "$w.gz")"), brotli $(kb "$(size "$w.br")")"
