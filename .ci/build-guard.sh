# Sourced by ./build and ./xla4j: guards shared by every build of this checkout.

# Holds an exclusive lock on the checkout's build (fd 9) until the process exits or closes fd 9, so two
# builds started at once (two first runs of ./xla4j) run one after the other instead of deleting each
# other's JavaCPP files (cc1plus: fatal error: .../jnijavacpp.cpp: No such file or directory).
xla4j_build_lock() {
  local lock="$1/.xla4j-build.lock"
  if ! command -v flock >/dev/null 2>&1; then
    return 0 # no flock (e.g. macOS without util-linux): builds are not serialized
  fi
  exec 9>"$lock"
  if ! flock -n 9; then
    echo "xla4j: another build of this checkout is running; waiting for it to finish..." >&2
    flock 9
  fi
}

# Releases the lock (before exec'ing a long run that must not hold it).
xla4j_build_unlock() {
  exec 9>&- 2>/dev/null || true
}

# Fails with what is missing and how to go on when g++ is absent and the native bridge would be built.
# $@: the Maven arguments (a -Dxla4j.skipNative=true among them, or in XLA4J_MVN_FLAGS, skips the check).
xla4j_check_gxx() {
  case " $* ${XLA4J_MVN_FLAGS:-} " in
    *" -Dxla4j.skipNative=true "*|*" -Dxla4j.skipNative "*) return 0 ;;
  esac
  command -v g++ >/dev/null 2>&1 && return 0
  cat >&2 <<'MSG'
xla4j: g++ (the C++ compiler) is not on PATH. It builds the PJRT bridge (jni/, native/), which GPU runs need.
  Either install it (Debian/Ubuntu: apt-get install g++; Fedora: dnf install gcc-c++),
  or build without the bridge, CPU backend only (--backend pjrt then reports the bridge missing):
    ./build -Dxla4j.skipNative=true <goals>
    XLA4J_MVN_FLAGS=-Dxla4j.skipNative=true ./xla4j <command>
MSG
  return 1
}
