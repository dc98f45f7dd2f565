# Sourced by scripts/setup.sh and scripts/build.sh: the toolchain that builds the Worker's wasm.
# A pinned nightly rebuilds std for the wasm with panics that abort at once (no panic machinery,
# no messages): 19 KB gzip less than stable (247,443 → 228,403 bytes, issue 14). Host builds
# (cargo test, clippy, benches) and fuzzing stay on stable. Move the pin deliberately: a newer
# nightly may rename the flags scripts/build.sh passes (-Zbuild-std, -Cpanic=immediate-abort).
# The date is the dist channel's (nightly-2026-05-20 is rustc 1.97.0-nightly e50aa6fba 2026-05-19).
REGISTRAR_NIGHTLY=nightly-2026-05-20

# True when the pinned nightly has what the Worker build needs: rustc, rust-src (for build-std)
# and the wasm32 target (worker-build checks for it and would otherwise try to download it).
nightly_ready() {
  sysroot=$(rustup run "$REGISTRAR_NIGHTLY" rustc --print sysroot 2>/dev/null) || return 1
  [ -d "$sysroot/lib/rustlib/src/rust/library/std" ] &&
    [ -d "$sysroot/lib/rustlib/wasm32-unknown-unknown/lib" ]
}
