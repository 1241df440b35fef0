# Prometheus and promtool from Debian's `prometheus` package, for the tests that scrape the real
# service and lint its /metrics. Not one of STACK_COMPONENTS: the local stack never runs it, each
# test starts its own on a free port with a throwaway storage directory (prometheus/prometheus.yml
# is the compose stack's scrape config, which the test copies with its own target).
#
# --no-install-recommends: the package recommends prometheus-node-exporter, another daemon we have
# no use for. Where a policy-rc.d forbids it (containers) the package's own service is not started;
# elsewhere it listens on :9090, which no test relies on being free.

prometheus_bin() { command -v prometheus; }
promtool_bin() { command -v promtool; }

prometheus_install() {
  if prometheus_bin >/dev/null && promtool_bin >/dev/null; then return 0; fi
  # apt's notes (debconf without apt-utils) go to the log; a failure names it.
  apt_install --no-install-recommends prometheus 2>>"$(log_file prometheus-install)" ||
    stack_die "could not install Debian's prometheus package; log: $(log_file prometheus-install)"
  if ! prometheus_bin >/dev/null || ! promtool_bin >/dev/null; then
    stack_die "the prometheus package is installed but prometheus or promtool is not on PATH"
  fi
}

prometheus_status() {
  if prometheus_bin >/dev/null; then
    echo "prometheus $(prometheus --version 2>&1 | head -n 1)"
  else
    echo "prometheus not installed (prometheus_install)"
  fi
}
