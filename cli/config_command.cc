#include "cli/config_command.h"

#include "cluster/broker/broker_config.h"
#include "common/config.h"

namespace meridian::cli {

int run_config_print(const ConfigPrintOptions& options, std::ostream& out, std::ostream& err) {
  try {
    config::LoadOptions load;
    load.file = options.config_file;
    for (const auto& o : options.overrides) {
      load.overrides.push_back(config::parse_assignment(o));
    }
    auto values = config::load(broker::broker_schema(), load);
    (void)broker::BrokerConfig::from_values(values);  // cross-key validation
    if (options.effective) {
      out << values.print_effective();
    } else {
      for (const auto& [key, v] : values.all()) {
        if (v.source != config::Source::kDefault) {
          out << key << " = " << v.text << "\n";
        }
      }
    }
    return 0;
  } catch (const config::ConfigError& e) {
    err << "meridian: configuration error: " << e.what() << "\n";
    return 2;
  }
}

}  // namespace meridian::cli
