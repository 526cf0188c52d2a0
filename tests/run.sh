#!/usr/bin/env bash
# Timbrel's whole test suite, in one command, on a fresh Debian/Ubuntu machine:
#
#   bash tests/run.sh
#
# 1. installs missing system packages (apt, with sudo when not root) and a Python venv
#    (tests/.venv: pytest, pedalboard, numpy, Pillow, zstandard);
# 2. builds the plugin bundles once (`cargo xtask bundle timbrel --release`) and the standalone;
# 3. runs every crate's tests (`cargo test --workspace`), the core's and the plugin's again in a
#    debug build (debug assertions, overflow checks), then the bundles in real hosts: the CLAP
#    host (clack-host, tests/tests/clap_*.rs) and the detector on real drum kits
#    (tests/tests/real_kit_detection.rs, Debian's hydrogen-data and hydrogen-drumkits, installed
#    in step 1), the VST3 in pedalboard (tests/vst3; in CI a pedalboard that does not import is
#    a failure), and the editor on a virtual screen (tests/editor/screenshot.sh).
#
# Needs a Rust toolchain (rustup, Rust >= 1.88) and network access to apt, PyPI and crates.io.
# Ends with a line `N passed, N failed` (one count per suite) and exits non-zero on any failure.
#
# Environment: TIMBREL_VENV (default tests/.venv), TIMBREL_SKIP_APT=1, TIMBREL_TEST_PROFILE
# (release|debug, profile of `cargo test --workspace`; default release, which reuses the bundle
# build; the no-allocation checks in process() hold in both), CARGO_TARGET_DIR.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export DEBIAN_FRONTEND=noninteractive
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
VENV="${TIMBREL_VENV:-$ROOT/tests/.venv}"
PROFILE="${TIMBREL_TEST_PROFILE:-release}"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"

APT_PACKAGES=(build-essential pkg-config libasound2-dev libjack-jackd2-dev xvfb xauth imagemagick
  xdotool libgl1-mesa-dri libegl-mesa0 libx11-6 libx11-xcb1 libxcb1 libxkbcommon0
  libxkbcommon-x11-0 libegl1 libglvnd0 libasound2 libgl1 python3-venv
  hydrogen-data hydrogen-drumkits)
PY_PACKAGES=(pytest pedalboard numpy Pillow zstandard)

RUN_START=$SECONDS
PASSED=0
FAILED=0
SUMMARY=()

section() {
  echo
  echo "================================================================================"
  echo "== $*"
  echo "================================================================================"
}

finish() {
  section "Summary"
  printf '%s\n' "${SUMMARY[@]}"
  echo "total time: $((SECONDS - RUN_START)) s"
  echo "${PASSED} passed, ${FAILED} failed"
  if [[ $FAILED -gt 0 ]]; then exit 1; fi
  exit 0
}

# run_stage KIND NAME COMMAND...: runs COMMAND with `set -e` in a subshell and records the result.
# KIND is "setup" (a failure ends the run: later stages need it) or "suite" (counted in the
# summary; the run goes on so that every failure is seen).
run_stage() {
  local kind=$1 name=$2
  shift 2
  section "$name"
  local t0=$SECONDS rc=0
  set +e
  ( set -euo pipefail; "$@" )
  rc=$?
  set -e
  local dt=$((SECONDS - t0))
  if [[ $rc -eq 0 ]]; then
    echo "-- $name: OK (${dt} s)"
    if [[ $kind == suite ]]; then
      PASSED=$((PASSED + 1))
      SUMMARY+=("PASS  ${name} (${dt} s)")
    else
      SUMMARY+=("ok    ${name} (${dt} s)")
    fi
  else
    echo "-- $name: FAILED with exit code $rc (${dt} s)" >&2
    FAILED=$((FAILED + 1))
    SUMMARY+=("FAIL  ${name} (exit ${rc}, ${dt} s)")
    if [[ $kind == setup ]]; then
      echo "!! '$name' is needed by the remaining stages; stopping." >&2
      finish
    fi
  fi
}

# --- stages -----------------------------------------------------------------------------------

install_system_packages() {
  if [[ "${TIMBREL_SKIP_APT:-0}" == 1 ]]; then
    echo "TIMBREL_SKIP_APT=1: not checking system packages"
    return 0
  fi
  local missing=() p
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [[ ${#missing[@]} -eq 0 ]]; then
    echo "all ${#APT_PACKAGES[@]} system packages already installed"
    return 0
  fi
  echo "installing: ${missing[*]}"
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "not root and no sudo: install ${missing[*]}" >&2; return 1; }
    sudo=(sudo -n env DEBIAN_FRONTEND=noninteractive)
  fi
  "${sudo[@]}" apt-get update -q
  "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
}

check_toolchain() {
  command -v cargo >/dev/null || {
    echo "cargo not found: install Rust with rustup (https://rustup.rs), Rust >= 1.88" >&2
    return 1
  }
  cargo --version
  rustc --version
}

setup_python() {
  local py=python3
  if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c "import sys" 2>/dev/null; then
    rm -rf "$VENV"
    "$py" -m venv "$VENV"
  fi
  if "$VENV/bin/python" -c "import pytest, pedalboard, numpy, PIL, zstandard" 2>/dev/null; then
    echo "venv $VENV ready"
  else
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check "${PY_PACKAGES[@]}"
  fi
  "$VENV/bin/python" -m pip list --disable-pip-version-check 2>/dev/null | grep -iE '^(pytest|pedalboard|numpy|pillow|zstandard) '
}

build_bundles() {
  cargo xtask bundle timbrel --release
  ls -la "$TARGET/bundled"
  test -f "$TARGET/bundled/Timbrel.clap"
  test -d "$TARGET/bundled/Timbrel.vst3"
}

build_standalone() {
  cargo build --release -p timbrel --features standalone --bin timbrel-standalone
  "$TARGET/release/timbrel-standalone" --help | head -n 5
}

workspace_tests() {
  local flags=()
  [[ $PROFILE == release ]] && flags+=(--release)
  # The host tests get their own stage (they need the bundles); here every other crate.
  # --no-fail-fast: one crate's failure must not hide the others' results.
  cargo test "${flags[@]}" --workspace --exclude timbrel-host-tests --no-fail-fast
}

debug_tests() {
  if [[ $PROFILE == debug ]]; then
    echo "TIMBREL_TEST_PROFILE=debug: the workspace tests already ran with debug assertions"
    return 0
  fi
  # The audio path's debug_assert!s and integer-overflow checks run only in a debug build: the
  # core (DSP) and the plugin (process(), MIDI scheduling, state) in the test profile, whose
  # dependencies are optimised (see Cargo.toml), so that this stays within a few minutes.
  # Without debug info: it only costs compile and link time here. Measured cold, with debug
  # info, on a shared 2-core machine under load: 14.7 min to build, 20 s of tests.
  CARGO_PROFILE_DEV_DEBUG=0 CARGO_PROFILE_TEST_DEBUG=0 \
    cargo test -p timbrel-core -p timbrel --no-fail-fast
}

clap_host_tests() {
  local flags=()
  [[ $PROFILE == release ]] && flags+=(--release)
  TIMBREL_HOST_TESTS=1 TIMBREL_BUNDLE_DIR="$TARGET/bundled" \
    cargo test "${flags[@]}" -p timbrel-host-tests -- --test-threads=2
}

vst3_tests() {
  # In CI a pedalboard that does not import fails the stage instead of skipping it (-rs lists
  # any skip with its reason).
  local require=0
  [[ -n "${CI:-}" ]] && require=1
  TIMBREL_REQUIRE_PEDALBOARD=$require TIMBREL_BUNDLE_DIR="$TARGET/bundled" \
    "$VENV/bin/python" -m pytest -q -rs -p no:cacheprovider tests/vst3
}

editor_screenshot() {
  PYTHON="$VENV/bin/python" bash tests/editor/screenshot.sh --no-build --train-demo
}

# --- the run ----------------------------------------------------------------------------------

section "Timbrel test suite in $ROOT ($(git rev-parse --short HEAD 2>/dev/null || echo 'no git'), CI=${CI:-})"
run_stage setup "system packages" install_system_packages
run_stage setup "Rust toolchain" check_toolchain
run_stage setup "Python venv (pytest, pedalboard, numpy, Pillow, zstandard)" setup_python
run_stage setup "build: cargo xtask bundle timbrel --release" build_bundles
run_stage setup "build: standalone" build_standalone
run_stage suite "cargo test --workspace ($PROFILE)" workspace_tests
run_stage suite "cargo test core + plugin (debug: assertions, overflow checks)" debug_tests
run_stage suite "CLAP host tests (clack-host)" clap_host_tests
run_stage suite "VST3 host tests (pedalboard)" vst3_tests
run_stage suite "editor screenshot (Xvfb)" editor_screenshot
finish
