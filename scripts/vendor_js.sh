#!/bin/sh
# Re-create the vendored JavaScript libraries under src/gridgov/static/vendor/ from their npm
# packages, so no page loads anything from a CDN. Needs node/npm only when run, not at runtime.
#
#   scripts/vendor_js.sh
#
# Record any version change in src/gridgov/static/vendor/README.md.
set -eu

LEAFLET_VERSION=1.9.4
ECHARTS_VERSION=5.6.0

repo=$(cd "$(dirname "$0")/.." && pwd)
vendor="$repo/src/gridgov/static/vendor"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cd "$work"
npm init -y >/dev/null
npm install --no-audit --no-fund --ignore-scripts "leaflet@$LEAFLET_VERSION" "echarts@$ECHARTS_VERSION" >/dev/null

target="$vendor/leaflet-$LEAFLET_VERSION"
rm -rf "$target"
mkdir -p "$target"
# leaflet.js names its source map; the manifest storage of collectstatic needs the file present.
cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.js.map node_modules/leaflet/dist/leaflet.css "$target/"
cp -r node_modules/leaflet/dist/images "$target/images"
cp node_modules/leaflet/LICENSE "$target/LICENSE"
echo "leaflet $LEAFLET_VERSION -> $target"

target="$vendor/echarts-$ECHARTS_VERSION"
rm -rf "$target"
mkdir -p "$target"
# The minified build names no source map, so it stands alone.
cp node_modules/echarts/dist/echarts.min.js node_modules/echarts/LICENSE node_modules/echarts/NOTICE "$target/"
echo "echarts $ECHARTS_VERSION -> $target"
