# Sourced by the GPU-machine round scripts: time limits under a round's budget of BUDGET_S seconds (counted by
# the sourcing shell's SECONDS).
#   cap SECONDS WHAT: prints SECONDS cut to what is left; fails (the step is skipped) under 15 s left
#   limited SECONDS WHAT CMD...: runs CMD under that limit; says so when it timed out (exit 124)
cap() {
  local left=$((BUDGET_S - SECONDS))
  [ "$left" -lt 15 ] && { echo "!! no time left for: $2" >&2; return 1; }
  echo $(( $1 < left ? $1 : left ))
}
limited() {
  local limit rc what=$2
  limit=$(cap "$1" "$2") || return 125
  shift 2
  timeout "$limit" "$@"
  rc=$?
  [ "$rc" = 124 ] && echo "!! timed out after ${limit} s: $what"
  return "$rc"
}
