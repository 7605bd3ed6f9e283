# Sourced by ./mvnw, ./mithril and .ci/run: makes JAVA_HOME point at a JDK 25 or newer.
# Keeps a JAVA_HOME that already is one; otherwise looks in the usual install folders.
mithril_java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 |
    sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p'
}
mithril_find_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ] &&
     [ "$(mithril_java_major "$JAVA_HOME")" -ge 25 ] 2>/dev/null; then
    return 0
  fi
  case $- in *f*) set +f; mithril_noglob=1 ;; *) mithril_noglob= ;; esac  # mvnw runs with globbing off
  for d in /usr/lib/jvm/* /opt/java/* /opt/jdk* "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/*; do
    if [ -x "$d/bin/javac" ] && [ "$(mithril_java_major "$d")" -ge 25 ] 2>/dev/null; then
      JAVA_HOME="$d"; export JAVA_HOME
      [ -n "$mithril_noglob" ] && set -f
      return 0
    fi
  done
  [ -n "$mithril_noglob" ] && set -f
  echo "Mithril needs JDK 25 or newer, and found none (looked at JAVA_HOME and /usr/lib/jvm/*)." >&2
  echo "Install one, e.g. 'apt-get install temurin-25-jdk' from Adoptium or a JDK 25 tarball, and set JAVA_HOME to it." >&2
  return 1
}
