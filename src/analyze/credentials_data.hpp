#pragma once
// The default-credential list (data/credentials/default-passwords.txt), shared by the checks that
// judge passwords found in account databases, web server files and Wi-Fi configuration.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace iotaudit::analyze {

const std::vector<std::string>& default_password_list();
bool is_default_password(std::string_view password);
// Tries the list (and `user`) against a crypt(3) hash whose cost is reasonable; the matching
// password, if any.
std::optional<std::string> crack_with_defaults(const std::string& hash, std::string_view user);

}  // namespace iotaudit::analyze
