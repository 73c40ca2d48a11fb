#include "apps/vendor_flags.h"

namespace hami::apps {

void AddVendorFlags(CLI::App& app, vendor::FlagValues* values) {
  for (const auto& flag : vendor::VendorFlags()) {
    const std::string name = flag.name;
    std::string help = flag.help;
    if (!flag.default_value.empty()) help += " (default " + flag.default_value + ")";
    if (flag.boolean) {
      // Bare: "true"; with a value: the value as written (the vendor rejects a non-boolean).
      app.add_flag("--" + name + "{true}", (*values)[name], help)->group("Vendors");
    } else {
      auto store = [values, name](const std::string& value) { (*values)[name] = value; };
      app.add_option_function<std::string>("--" + name, store, help)->group("Vendors");
    }
  }
}

}  // namespace hami::apps
