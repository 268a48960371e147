#!/usr/bin/env bash
# tst_package (label `package`): the Debian package as an operator gets it.
#
#  1. cpack makes streamengine_<version>_<arch>.deb from this build folder;
#  2. its control data: Debian package names in Depends (dpkg-shlibdeps plus
#     the run-time plugins), section, maintainer scripts;
#  3. its files: the installed layout, the unit (ExecStart=/usr/bin/streamengine,
#     User=streamengine), no tests, benchmarks or test hub;
#  4. dpkg -x into a scratch root (no dpkg -i, nothing touches the machine),
#     then the INSTALLED engine runs from there with --demo and neither
#     SE_PLUGIN_PATH nor --plugin-dir: `ctl list` must show the healthy demo
#     workers Running (the GStreamer one through the installed se-gst-host),
#     everything it loaded must come from the scratch root, and SIGTERM must
#     end it with exit code 0.
#
# Environment (set by tests/package/CMakeLists.txt): SE_BUILD_DIR,
# SE_SOURCE_DIR, SE_CPACK, SE_VERSION, SE_INSTALL_PLUGINDIR, SE_INSTALL_HOSTDIR,
# SE_INSTALL_PRIVATE_LIBDIR (relative to the prefix).
set -euo pipefail

: "${SE_BUILD_DIR:?}" "${SE_SOURCE_DIR:?}" "${SE_VERSION:?}"
: "${SE_INSTALL_PLUGINDIR:?}" "${SE_INSTALL_HOSTDIR:?}" "${SE_INSTALL_PRIVATE_LIBDIR:?}"
CPACK=${SE_CPACK:-cpack}

work=$(mktemp -d "${TMPDIR:-/tmp}/se-package.XXXXXX")
engine_pid=
cleanup() {
    if [ -n "$engine_pid" ] && [ -e "/proc/$engine_pid" ]; then
        kill -KILL "$engine_pid" 2>/dev/null || true
        wait "$engine_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    if [ -s "$work/engine.log" ]; then
        echo "--- engine log (last 40 lines)" >&2
        tail -n 40 "$work/engine.log" >&2
    fi
    exit 1
}
pass() { echo "PASS: $*"; }
now_ms() { date +%s%3N; }
# Under the package's /usr unless the folder was configured absolute.
in_usr() { case "$1" in /*) echo "$1" ;; *) echo "/usr/$1" ;; esac; }

# --- 1. the package -----------------------------------------------------------
t0=$(now_ms)
if ! "$CPACK" --config "$SE_BUILD_DIR/CPackConfig.cmake" -B "$work/out" >"$work/cpack.log" 2>&1; then
    cat "$work/cpack.log" >&2
    fail "cpack could not make the package"
fi
t1=$(now_ms)
debs=("$work"/out/streamengine_*.deb)
[ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] || fail "cpack made no single streamengine_*.deb: $(ls "$work/out")"
deb=${debs[0]}
echo "package: $(basename "$deb"), $(stat -c %s "$deb") bytes, made by cpack in $((t1 - t0)) ms"

# --- 2. control data ------------------------------------------------------------
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = streamengine ] || fail "Package is '$(field Package)'"
[ "$(field Version)" = "$SE_VERSION" ] || fail "Version is '$(field Version)', project() says $SE_VERSION"
[ "$(field Section)" = video ] || fail "Section is '$(field Section)'"
[ "$(field Architecture)" = "$(dpkg --print-architecture)" ] || fail "Architecture is '$(field Architecture)'"
[[ "$(field Maintainer)" =~ ^[^\<]+\ \<[^\>]+@[^\>]+\>$ ]] || fail "Maintainer is '$(field Maintainer)'"
[ -n "$(field Description)" ] || fail "no Description"
depends=$(field Depends)
echo "Depends: $depends"
# Every alternative a Debian package name, with an optional version.
IFS=',|' read -r -a alternatives <<<"$depends"
names=()
for a in "${alternatives[@]}"; do
    a=$(echo "$a" | sed 's/^ *//; s/ *$//')
    [[ "$a" =~ ^[a-z0-9][a-z0-9+.-]+(\ \((<<|<=|=|>=|>>)\ [^\)]+\))?$ ]] || fail "Depends has '$a', not a Debian package name"
    names+=("${a%% *}")
done
# dpkg-shlibdeps ran (the libraries the ELF files link) and the run-time
# plugins shlibdeps cannot see are there.
for p in libc6 libstdc++6 libqt6core6 libqt6network6 libqt6sql6 libgstreamer1.0-0 \
    gstreamer1.0-plugins-base gstreamer1.0-plugins-good libqt6sql6-sqlite adduser; do
    printf '%s\n' "${names[@]}" | grep -qxF "$p" || fail "Depends lacks $p"
done
dpkg-deb -e "$deb" "$work/control"
for s in postinst prerm postrm; do
    [ -x "$work/control/$s" ] || fail "no executable $s in the package"
    sh -n "$work/control/$s" || fail "$s is not valid sh"
done
# The maintainer scripts against stub commands (PATH holds only the stubs, so
# nothing on this machine changes; postrm's purge is not run, it removes
# /var/lib/streamengine).
stubs="$work/stubs"
mkdir -p "$stubs"
for c in systemd-sysusers adduser systemctl getent; do
    printf '#!/bin/sh\necho "%s $*" >>"%s/calls"\n[ "%s" != getent ] || exit "${STUB_GETENT_RC:-2}"\n' \
        "$c" "$work" "$c" >"$stubs/$c"
    chmod +x "$stubs/$c"
done
maintainer() { # SCRIPT ARGS...: the calls it made, one a line
    rm -f "$work/calls"
    PATH="$stubs" /bin/sh "$work/control/$1" "${@:2}" || fail "$1 $* failed"
    touch "$work/calls"
    grep -v '^getent ' "$work/calls" || true
}
reload=""
[ -d /run/systemd/system ] && reload="systemctl daemon-reload"
calls=$(maintainer postinst configure)
[ "$calls" = "$(printf '%s\n' "systemd-sysusers streamengine.conf" $reload)" ] ||
    fail "postinst configure (first install) called: $calls"
rm "$stubs/systemd-sysusers"
calls=$(maintainer postinst configure)
[ "$(head -n 1 <<<"$calls")" = "adduser --system --group --no-create-home --home /var/lib/streamengine --gecos StreamEngine media workers streamengine" ] ||
    fail "postinst without systemd-sysusers called: $calls"
calls=$(STUB_GETENT_RC=0 maintainer postinst configure "$SE_VERSION")
if [ -n "$reload" ]; then
    [ "$calls" = "$(printf '%s\n' "$reload" "systemctl try-restart streamengine.service")" ] ||
        fail "postinst configure (upgrade, user there) called: $calls"
else
    [ -z "$calls" ] || fail "postinst configure (upgrade, user there, no systemd) called: $calls"
fi
calls=$(maintainer prerm remove)
grep -qx "systemctl --quiet disable streamengine.service" <<<"$calls" || fail "prerm remove called: $calls"
calls=$(maintainer prerm upgrade)
[ -z "$calls" ] || fail "prerm upgrade called: $calls"
pass "control: streamengine $SE_VERSION, section video, Debian names in Depends, maintainer scripts"

# --- 3. files -------------------------------------------------------------------
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' >"$work/files"
plugindir=$(in_usr "$SE_INSTALL_PLUGINDIR")
hostdir=$(in_usr "$SE_INSTALL_HOSTDIR")
libdir=$(in_usr "$SE_INSTALL_PRIVATE_LIBDIR")
expected=(
    /usr/bin/streamengine
    "$hostdir/se-gst-host"
    "$libdir/libse_streamer_api.so"
    "$plugindir/se_streamer_fake.so"
    "$plugindir/se_streamer_gstprocess.so"
    "$plugindir/se_streamer_gstinprocess.so"
    /usr/lib/systemd/system/streamengine.service
    /usr/lib/sysusers.d/streamengine.conf
    /usr/share/doc/streamengine/README.md
    /usr/share/doc/streamengine/docs/architecture.md
)
for f in "${expected[@]}"; do
    grep -qxF "$f" "$work/files" || fail "the package has no $f"
done
if grep -E '/(tst_|bench_|fuzz_)|testhub|se-ui-screenshots|policy_marker|TestHub' "$work/files"; then
    fail "the package holds tests, benchmarks or the test hub (above)"
fi

t_extract=$(now_ms)
dpkg -x "$deb" "$work/root"
root=$(cd "$work/root" && pwd -P)

unit="$root/usr/lib/systemd/system/streamengine.service"
grep -qx 'ExecStart=/usr/bin/streamengine --headless --data-dir /var/lib/streamengine' "$unit" ||
    fail "the unit's ExecStart is not /usr/bin/streamengine: $(grep ExecStart= "$unit")"
for line in User=streamengine Group=streamengine Type=notify StateDirectory=streamengine \
    Documentation=file:///usr/share/doc/streamengine; do
    grep -qx "$line" "$unit" || fail "the unit lacks $line"
done
grep -q '^u streamengine ' "$root/usr/lib/sysusers.d/streamengine.conf" || fail "sysusers.d makes no user streamengine"
pass "files: installed layout, unit runs /usr/bin/streamengine as streamengine, no tests"

# --- 4. the installed engine, from the scratch root -----------------------------
run_env=(env -u SE_PLUGIN_PATH -u SE_GST_HOST -u LD_LIBRARY_PATH -u QT_PLUGIN_PATH)
se="$root/usr/bin/streamengine"

version=$("${run_env[@]}" "$se" --version)
[[ "$version" =~ ^streamengine\ ${SE_VERSION//./\\.}\ \(revision\ ([^\)]+)\)$ ]] ||
    fail "--version printed '$version'"
revision=${BASH_REMATCH[1]}
if git -C "$SE_SOURCE_DIR" rev-parse --git-dir >/dev/null 2>&1; then
    hash=${revision%-dirty}
    hash=${hash##*-g}
    [[ "$hash" =~ ^[0-9a-f]{7,}$ ]] && git -C "$SE_SOURCE_DIR" cat-file -e "$hash^{commit}" 2>/dev/null ||
        fail "--version names revision '$revision', no commit of $SE_SOURCE_DIR"
fi
pass "--version: $version"

data="$work/data"
t_start=$(now_ms)
"${run_env[@]}" "$se" --headless --demo --data-dir "$data" >"$work/engine.log" 2>&1 &
engine_pid=$!

# name<TAB>state per worker, from `ctl list --json` (keys come sorted: name
# before state within a worker).
workers() {
    "${run_env[@]}" "$se" ctl --data-dir "$data" list --json 2>/dev/null |
        sed -n 's/^ *"\(name\|state\)": *"\{0,1\}\([^",]*\)"\{0,1\},\{0,1\}$/\1\t\2/p' |
        awk -F'\t' '$1 == "name" { name = $2 } $1 == "state" { print name "\t" $2 }'
}
healthy=("Studio A" "Studio B" "Ball (GStreamer)")
deadline=$((t_start + 30000))
while :; do
    [ -e "/proc/$engine_pid" ] && ! grep -q '^[0-9]* (.*) Z' "/proc/$engine_pid/stat" 2>/dev/null ||
        fail "the installed engine ended before its workers ran"
    list=$(workers || true)
    running=0
    for w in "${healthy[@]}"; do
        if printf '%s\n' "$list" | grep -qxF "$w	2"; then running=$((running + 1)); fi
    done
    if [ "$running" -eq ${#healthy[@]} ] && [ "$(printf '%s\n' "$list" | grep -c .)" -eq 5 ]; then
        break
    fi
    [ "$(now_ms)" -lt "$deadline" ] || fail "after 30 s the demo workers are not Running: $(echo; printf '%s\n' "$list")"
    sleep 0.1
done
t_running=$(now_ms)
echo "demo workers (state 2 = Running):"
printf '%s\n' "$list" | sed 's/^/  /; s/\t/: /'
echo "install->running: $((t_running - t_extract)) ms from dpkg -x, $((t_running - t_start)) ms from the engine's start"

# Everything it loaded is the package's: the library, the three plugins, and
# the GStreamer worker's host process.
maps=$(cat "/proc/$engine_pid/maps")
for f in "$libdir/libse_streamer_api.so" "$plugindir/se_streamer_fake.so" \
    "$plugindir/se_streamer_gstprocess.so" "$plugindir/se_streamer_gstinprocess.so"; do
    grep -qF " $root$f" <<<"$maps" || fail "the engine has not loaded $root$f"
done
if grep -F "$SE_BUILD_DIR/" <<<"$maps"; then fail "the installed engine loaded files of the build folder (above)"; fi
hosts=0
for child in $(pgrep -P "$engine_pid" || true); do
    exe=$(readlink "/proc/$child/exe" || true)
    [ "$exe" = "$root$hostdir/se-gst-host" ] && hosts=$((hosts + 1))
done
[ "$hosts" -ge 1 ] || fail "no child runs $root$hostdir/se-gst-host"
pass "the installed engine runs its demo from the scratch root (library, plugins, host)"

# SIGTERM: every worker stops, exit code 0, within the shutdown timeout (10 s).
kill -TERM "$engine_pid"
deadline=$(($(now_ms) + 15000))
while [ -e "/proc/$engine_pid" ] && ! grep -q '^[0-9]* (.*) Z' "/proc/$engine_pid/stat" 2>/dev/null; do
    [ "$(now_ms)" -lt "$deadline" ] || fail "the engine did not end within 15 s of SIGTERM"
    sleep 0.05
done
rc=0
wait "$engine_pid" || rc=$?
engine_pid=
[ "$rc" -eq 0 ] || fail "the engine exited with $rc after SIGTERM"
if pgrep -f "$root/" >/dev/null; then fail "processes of the package outlived the engine: $(pgrep -af "$root/")"; fi
pass "SIGTERM: exit code 0, no child left"
