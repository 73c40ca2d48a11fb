#include "apps/vendor_flags.h"

namespace hami::apps {

void AddVendorFlags(CLI::App& app, vendor::FlagValues* values) {
  for (const auto& flag : vendor::VendorFlags()) {
    const std::string name = flag.name;
    std::string help = flag.help;
    if (!flag.default_value.empty()) help += " (default " + flag.default_value + ")";
    auto store = [values, name](const std::string& value) { (*values)[name] = value; };
    if (flag.boolean) {
      app.add_flag_function(
             "--" + name,
             [values, name](int64_t count) { (*values)[name] = count > 0 ? "true" : "false"; },
             help)
          ->disable_flag_override(false)
          ->group("Vendors");
    } else {
      app.add_option_function<std::string>("--" + name, store, help)->group("Vendors");
    }
  }
}

}  // namespace hami::apps
