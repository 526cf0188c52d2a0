#!/usr/bin/env bash
# The editor as a person sees it: runs the standalone Timbrel on a virtual X screen (Xvfb, no
# sound card: `--backend dummy`), waits for its window, takes a screenshot and checks that the egui
# editor really rendered (not blank, text drawn).
#
#   tests/editor/screenshot.sh [--update-assets] [--no-build] [--train-demo]
#
# Writes tests/out/editor.png (the editor window) and tests/out/editor-root.png (the whole
# screen). --train-demo then clicks through training on the demo input (tests/out/
# editor-trained.png). --update-assets copies the last screenshot to assets/screenshot.png.
# Needs: xvfb xauth imagemagick xdotool libgl1-mesa-dri (tests/run.sh installs them), and a
# Python with Pillow (tests/.venv, or $PYTHON).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
OUT="$ROOT/tests/out"
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/timbrel-standalone"
PYTHON="${PYTHON:-$ROOT/tests/.venv/bin/python}"
UPDATE_ASSETS=0
BUILD=1
TRAIN_DEMO=0
for arg in "$@"; do
  case "$arg" in
    --update-assets) UPDATE_ASSETS=1 ;;
    --no-build) BUILD=0 ;;
    --train-demo) TRAIN_DEMO=1 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done
mkdir -p "$OUT"

if [[ $BUILD == 1 ]]; then
  cargo build --release -p timbrel --features standalone --bin timbrel-standalone
fi
[[ -x "$BIN" ]] || { echo "FAIL: $BIN missing; build it with: cargo build --release -p timbrel --features standalone --bin timbrel-standalone" >&2; exit 1; }
for tool in Xvfb xdotool import; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool not installed (apt-get install xvfb xdotool imagemagick)" >&2; exit 1; }
done
[[ -x "$PYTHON" ]] || PYTHON=python3

# A free display number: :99 unless another X server (another test run) holds it.
DISPLAY_NUM="${TIMBREL_XVFB_DISPLAY:-99}"
while [[ -e "/tmp/.X${DISPLAY_NUM}-lock" || -e "/tmp/.X11-unix/X${DISPLAY_NUM}" ]]; do
  DISPLAY_NUM=$((DISPLAY_NUM + 1))
done
export DISPLAY=":${DISPLAY_NUM}"

XVFB_PID=""
APP_PID=""
cleanup() {
  # Only the processes this script started, by their ids.
  if [[ -n "$APP_PID" ]] && kill -0 "$APP_PID" 2>/dev/null; then
    kill "$APP_PID" 2>/dev/null || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$APP_PID" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$APP_PID" 2>/dev/null || true
  fi
  if [[ -n "$XVFB_PID" ]] && kill -0 "$XVFB_PID" 2>/dev/null; then
    kill "$XVFB_PID" 2>/dev/null || true
    wait "$XVFB_PID" 2>/dev/null || true
  fi
}
trap cleanup EXIT INT TERM

Xvfb "$DISPLAY" -screen 0 1280x800x24 +extension GLX -nolisten tcp >"$OUT/xvfb.log" 2>&1 &
XVFB_PID=$!
for _ in $(seq 1 50); do
  xdotool getdisplaygeometry >/dev/null 2>&1 && break
  kill -0 "$XVFB_PID" 2>/dev/null || { echo "FAIL: Xvfb exited:" >&2; cat "$OUT/xvfb.log" >&2; exit 1; }
  sleep 0.1
done
echo "Xvfb on $DISPLAY ($(xdotool getdisplaygeometry))"

# Software GL (llvmpipe) on the virtual screen.
export LIBGL_ALWAYS_SOFTWARE=1
"$BIN" --backend dummy --sample-rate 48000 --period-size 512 >"$OUT/standalone.log" 2>&1 &
APP_PID=$!

if ! WID="$(timeout 60 xdotool search --sync --onlyvisible --name Timbrel | head -n1)" || [[ -z "$WID" ]]; then
  echo "FAIL: no window named Timbrel appeared within 60 s. Standalone log:" >&2
  cat "$OUT/standalone.log" >&2
  exit 1
fi
# Let egui draw a few frames (fonts, layout) before looking.
sleep "${TIMBREL_SCREENSHOT_DELAY:-3}"
kill -0 "$APP_PID" 2>/dev/null || { echo "FAIL: the standalone exited. Log:" >&2; cat "$OUT/standalone.log" >&2; exit 1; }

eval "$(xdotool getwindowgeometry --shell "$WID")"   # X, Y, WIDTH, HEIGHT
echo "window $WID '$(xdotool getwindowname "$WID")' at ${X},${Y} size ${WIDTH}x${HEIGHT}"
import -display "$DISPLAY" -window root "$OUT/editor-root.png"
# The editor window alone, cut out of the screen (with ImageMagick's real convert, not the
# stand-in some machines have first on PATH).
CONVERT=/usr/bin/convert
[[ -x $CONVERT ]] || CONVERT="magick"
"$CONVERT" "$OUT/editor-root.png" -crop "${WIDTH}x${HEIGHT}+${X}+${Y}" +repage "$OUT/editor.png"

"$PYTHON" "$ROOT/tests/editor/check_screenshot.py" "$OUT/editor.png"

if [[ $TRAIN_DEMO == 1 ]]; then
  # The click-to-train loop a newcomer does, on the built-in demo performance: switch the demo
  # input on, arm "center" during the take's centre passage (0.25-4.1 s), "edge" during its edge
  # passage (4.8-8.8 s), then let the free passage play and look at the result. Positions are in
  # logical pixels of the 900x600 editor at its top-left corner.
  click() { xdotool mousemove --window "$WID" "$1" "$2" click 1; }
  click 835 22; t0=$SECONDS                     # Demo input
  sleep 0.1; click 147 139                      # Train center
  sleep 4.2; click 147 139                      # stop: retrain
  sleep 0.6; click 147 162                      # Train edge
  sleep 4.1; click 147 162                      # stop: retrain
  sleep 5
  import -display "$DISPLAY" -window root "$OUT/editor-trained-root.png"
  "$CONVERT" "$OUT/editor-trained-root.png" -crop "${WIDTH}x${HEIGHT}+${X}+${Y}" +repage "$OUT/editor-trained.png"
  "$PYTHON" "$ROOT/tests/editor/check_screenshot.py" "$OUT/editor-trained.png"
  echo "trained on the demo in $((SECONDS - t0)) s: $OUT/editor-trained.png"
fi

if [[ $UPDATE_ASSETS == 1 ]]; then
  mkdir -p "$ROOT/assets"
  if [[ $TRAIN_DEMO == 1 ]]; then
    cp "$OUT/editor-trained.png" "$ROOT/assets/screenshot.png"
  else
    cp "$OUT/editor.png" "$ROOT/assets/screenshot.png"
  fi
  echo "updated assets/screenshot.png"
fi
echo "editor screenshot OK: $OUT/editor.png"
