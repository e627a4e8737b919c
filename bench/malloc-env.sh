# Sourced by the benchmark scripts: the environment the `ligo` command gives its process
# (bin/ligo.js commandEnv): glibc.malloc.hugetlb=1 added to GLIBC_TUNABLES unless the caller set a
# hugetlb value or LIGO_HUGE_PAGES=0, so a benchmark measures the engine as the command runs it.
if [[ ${LIGO_HUGE_PAGES:-1} != 0 && ${GLIBC_TUNABLES:-} != *glibc.malloc.hugetlb=* ]]; then
  export GLIBC_TUNABLES=${GLIBC_TUNABLES:+$GLIBC_TUNABLES:}glibc.malloc.hugetlb=1
fi
