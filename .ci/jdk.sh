# Sourced: points JAVA_HOME at a JDK whose version is >= 25 (or the newest >= 22 found).
# Plain `java` on these machines is 17; Temurin 25 sits under /usr/lib/jvm.
xla4j_java_version() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/{print $2}'; }
if [ -z "${XLA4J_JAVA_HOME_OK:-}" ]; then
  best=""; bestv=0
  for d in "${JAVA_HOME:-}" /usr/lib/jvm/*; do
    [ -n "$d" ] && [ -x "$d/bin/javac" ] || continue
    v=$(xla4j_java_version "$d"); v=${v%%.*}
    if [ "${v:-0}" -ge 22 ] 2>/dev/null && [ "$v" -gt "$bestv" ]; then best=$d; bestv=$v; fi
  done
  if [ -z "$best" ]; then
    echo "xla4j: no JDK >= 22 found (looked at \$JAVA_HOME and /usr/lib/jvm/*); install Temurin 25" >&2
    exit 1
  fi
  export JAVA_HOME=$best PATH=$best/bin:$PATH XLA4J_JAVA_HOME_OK=1
fi
