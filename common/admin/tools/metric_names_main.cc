// meridian_metric_names: prints the metric catalogue, one family per line, so scripts
// (grafana/tools/lint_dashboards.py, docs checks) read the names from the built code rather
// than from a copy.
//   meridian_metric_names            name<TAB>type<TAB>labels<TAB>help
//   meridian_metric_names --markdown the table of docs/metrics.md
//   meridian_metric_names --exposition  /metrics text with one example series per family

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <cstdio>
#include <iostream>
#include <string_view>

#include "common/admin/metric_catalogue.h"
#include "common/admin/metrics.h"

namespace {

void print_tsv() {
  for (const auto& spec : meridian::admin::metric_catalogue()) {
    std::cout << spec.name << '\t' << to_string(spec.kind) << '\t' << spec.labels << '\t'
              << spec.help << '\n';
  }
}

void print_markdown() {
  std::cout << "| Name | Type | Labels | Meaning |\n|---|---|---|---|\n";
  for (const auto& spec : meridian::admin::metric_catalogue()) {
    std::cout << "| `" << spec.name << "` | " << to_string(spec.kind) << " | "
              << (spec.labels.empty() ? "—" : spec.labels) << " | " << spec.help << " |\n";
  }
}

void print_exposition() {
  prometheus::Registry registry;
  meridian::admin::add_example_series_for_test(registry);
  std::cout << prometheus::TextSerializer().Serialize(registry.Collect());
}

}  // namespace

int main(int argc, char** argv) {
  const std::string_view mode = argc > 1 ? argv[1] : "";
  if (mode.empty()) {
    print_tsv();
  } else if (mode == "--markdown") {
    print_markdown();
  } else if (mode == "--exposition") {
    print_exposition();
  } else {
    std::fprintf(stderr, "usage: meridian_metric_names [--markdown | --exposition]\n");
    return 2;
  }
  return 0;
}
