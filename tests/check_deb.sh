#!/usr/bin/env bash
# tests/check_deb.sh BUILD_DIR SOURCE_DIR — builds the .deb with CPack from BUILD_DIR (into a
# temporary folder), unpacks it with dpkg-deb -x and -e and checks what it holds: ismsd and
# ismsctl, the unit (the source unit with ExecStart at /usr/sbin/ismsd), the gzip'd man pages,
# both completions (as the built ismsctl prints them), the configuration as a conffile, the
# docs, the library dependencies, and the postinst, which is also run twice against stand-ins
# of getent/groupadd/useradd/chown/chmod/systemctl to see it create the user once and set the
# modes of /etc/ismsd. Exit 77 (skipped) without dpkg-deb.

set -euo pipefail

BUILD=${1:?usage: check_deb.sh BUILD_DIR SOURCE_DIR}
SRC=${2:?usage: check_deb.sh BUILD_DIR SOURCE_DIR}
command -v dpkg-deb >/dev/null || {
    echo "dpkg-deb not found: skipped"
    exit 77
}
TMP=$(mktemp -d /tmp/isms-deb.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
fails=0
fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}

# The sanitizers would report the build tools' own leaks, not ours.
(cd "$BUILD" && ASAN_OPTIONS=detect_leaks=0 cpack -G DEB -B "$TMP/pkg" >"$TMP/cpack.log" 2>&1) || {
    cat "$TMP/cpack.log"
    echo "FAIL: cpack -G DEB failed"
    exit 1
}
debs=("$TMP"/pkg/ismsd_*.deb)
[[ -f ${debs[0]} ]] || {
    echo "FAIL: no ismsd_*.deb in $TMP/pkg: $(ls "$TMP/pkg")"
    exit 1
}
DEB=${debs[0]}
echo "built $(basename "$DEB") ($(stat -c %s "$DEB") bytes)"
dpkg-deb -x "$DEB" "$TMP/root"
dpkg-deb -e "$DEB" "$TMP/control"
R=$TMP/root
C=$TMP/control

# --- programs ----------------------------------------------------------------------------------
for f in usr/sbin/ismsd usr/bin/ismsctl; do
    [[ -x $R/$f ]] || fail "$f missing or not executable"
done
ver=$(grep -E '^project\(ismsd VERSION' "$SRC/CMakeLists.txt" | grep -oE '[0-9]+\.[0-9]+\.[0-9]+')
"$R/usr/bin/ismsctl" --version | grep -qF "$ver" || fail "ismsctl --version does not say $ver"
"$R/usr/sbin/ismsd" --version | grep -qF "$ver" || fail "ismsd --version does not say $ver"

# --- unit: the source unit with the installed paths --------------------------------------------
UNIT=$R/usr/lib/systemd/system/ismsd.service
if [[ -f $UNIT ]]; then
    grep -qx 'ExecStart=/usr/sbin/ismsd --config /etc/ismsd/ismsd.conf' "$UNIT" ||
        fail "unit: ExecStart is $(grep ExecStart= "$UNIT")"
    # Apart from ExecStart and the first comment line, it is deploy/ismsd.service.
    diff <(grep -v -e '^ExecStart=' "$SRC/deploy/ismsd.service" | tail -n +2) \
        <(grep -v -e '^ExecStart=' "$UNIT" | tail -n +2) >"$TMP/unit.diff" ||
        fail "unit differs from deploy/ismsd.service: $(head -n 10 "$TMP/unit.diff")"
else
    fail "no usr/lib/systemd/system/ismsd.service"
fi

# --- man pages, gzip'd --------------------------------------------------------------------------
for page in man8/ismsd.8 man1/ismsctl.1 man5/ismsd.conf.5; do
    f=$R/usr/share/man/$page.gz
    if [[ ! -f $f ]]; then
        fail "no usr/share/man/$page.gz (is scdoc installed?)"
        continue
    fi
    gzip -t "$f" || fail "$page.gz is not gzip"
    name=$(basename "$page")
    zcat "$f" | grep -qE "^\.TH \"?${name%.*}\"? \"?${name##*.}\"?" ||
        fail "$page.gz has no .TH ${name%.*} ${name##*.} line"
done
zcat "$R/usr/share/man/man5/ismsd.conf.5.gz" | grep -q 'pool_size' ||
    fail "ismsd.conf.5 does not document pool_size"

# --- completions: what the packaged ismsctl prints -----------------------------------------------
BASHC=$R/usr/share/bash-completion/completions/ismsctl
ZSHC=$R/usr/share/zsh/vendor-completions/_ismsctl
if [[ -f $BASHC ]]; then
    cmp -s "$BASHC" <("$R/usr/bin/ismsctl" completion bash) || fail "bash completion is stale"
    bash -n "$BASHC" || fail "bash completion: syntax error"
else
    fail "no bash completion"
fi
if [[ -f $ZSHC ]]; then
    cmp -s "$ZSHC" <("$R/usr/bin/ismsctl" completion zsh) || fail "zsh completion is stale"
    head -n 1 "$ZSHC" | grep -qx '#compdef ismsctl' || fail "zsh completion lacks #compdef"
    if command -v zsh >/dev/null; then
        zsh -n "$ZSHC" || fail "zsh completion: syntax error"
    fi
else
    fail "no zsh completion"
fi

# --- configuration and docs ----------------------------------------------------------------------
[[ -f $C/conffiles ]] && grep -qx /etc/ismsd/ismsd.conf "$C/conffiles" ||
    fail "/etc/ismsd/ismsd.conf is not a conffile"
cmp -s "$R/etc/ismsd/ismsd.conf" "$SRC/deploy/ismsd.conf.example" ||
    fail "etc/ismsd/ismsd.conf is not deploy/ismsd.conf.example"
[[ $(stat -c %a "$R/etc/ismsd/ismsd.conf") == 640 ]] || fail "etc/ismsd/ismsd.conf is not 0640"
for f in ismsd.conf.example README.md OPERATIONS.md; do
    [[ -f $R/usr/share/doc/ismsd/$f ]] || fail "no usr/share/doc/ismsd/$f"
done
grep -q 'isms_owner' "$R/usr/share/doc/ismsd/OPERATIONS.md" 2>/dev/null ||
    fail "OPERATIONS.md does not document the owner role"
zcat "$R/usr/share/man/man8/ismsd.8.gz" 2>/dev/null | grep -q 'isms_grant_runtime' ||
    fail "ismsd(8) does not document the database roles"

# --- control: dependencies and maintainer scripts ------------------------------------------------
deps=$(sed -n 's/^Depends: //p' "$C/control")
for lib in libpq5 libuv1 libsodium23 libssl3 libprotobuf-c1 libinih1 libjansson4 passwd; do
    [[ $deps == *"$lib"* ]] || fail "Depends lacks $lib: $deps"
done
grep -qx 'Package: ismsd' "$C/control" || fail "control: Package is not ismsd"
grep -qx "Version: $ver" "$C/control" || fail "control: Version is not $ver"
[[ -f $C/md5sums ]] || fail "no md5sums"
for s in postinst prerm postrm; do
    [[ -x $C/$s ]] || fail "$s missing or not executable"
    sh -n "$C/$s" || fail "$s: syntax error"
done

# Run the postinst twice with stand-ins that log their calls: the first run creates the group
# and the user; the second finds them and creates nothing. Both set /etc/ismsd's modes.
mkdir -p "$TMP/bin" "$TMP/state"
for cmd in groupadd useradd chown chmod systemctl; do
    printf '#!/bin/sh\necho "%s $*" >>"%s/calls"\n' "$cmd" "$TMP" >"$TMP/bin/$cmd"
done
cat >"$TMP/bin/getent" <<EOF
#!/bin/sh
# getent DB NAME: found once groupadd/useradd made it.
case \$1 in
group) grep -q "^groupadd .*\$2\\\$" "$TMP/calls" 2>/dev/null ;;
passwd) grep -q "^useradd .*\$2\\\$" "$TMP/calls" 2>/dev/null ;;
*) exit 2 ;;
esac
EOF
chmod +x "$TMP"/bin/*
run_postinst() {
    PATH="$TMP/bin:$PATH" sh "$C/postinst" configure "" >"$TMP/postinst.out" 2>&1 ||
        fail "postinst configure failed: $(cat "$TMP/postinst.out")"
}
run_postinst
grep -qx 'groupadd --system ismsd' "$TMP/calls" || fail "postinst did not create the group"
grep -qE '^useradd --system --gid ismsd .*--shell /usr/sbin/nologin .*ismsd$' "$TMP/calls" ||
    fail "postinst did not create a system user ismsd: $(cat "$TMP/calls")"
grep -qx 'chown root:ismsd /etc/ismsd' "$TMP/calls" || fail "postinst: /etc/ismsd not root:ismsd"
grep -qx 'chmod 0750 /etc/ismsd' "$TMP/calls" || fail "postinst: /etc/ismsd not 0750"
grep -qx 'chmod 0640 /etc/ismsd/ismsd.conf' "$TMP/calls" ||
    [[ ! -f /etc/ismsd/ismsd.conf ]] || fail "postinst: ismsd.conf not 0640"
n1=$(grep -cE '^(groupadd|useradd) ' "$TMP/calls")
run_postinst
n2=$(grep -cE '^(groupadd|useradd) ' "$TMP/calls")
[[ $n1 -eq 2 && $n2 -eq 2 ]] || fail "postinst is not idempotent: $n1 then $n2 group/user creations"
[[ $(grep -c '^chmod 0750 /etc/ismsd$' "$TMP/calls") -eq 2 ]] ||
    fail "postinst did not set /etc/ismsd's mode on the second run"
# Other actions (upgrade's abort-*) touch nothing.
: >"$TMP/calls"
PATH="$TMP/bin:$PATH" sh "$C/postinst" abort-upgrade 0.0.9 || fail "postinst abort-upgrade failed"
[[ ! -s $TMP/calls ]] || fail "postinst abort-upgrade did something: $(cat "$TMP/calls")"

echo "files in the package: $(find "$R" -type f | wc -l)"
if ((fails > 0)); then
    echo "$fails check(s) failed"
    exit 1
fi
echo ".deb: all checks passed"
