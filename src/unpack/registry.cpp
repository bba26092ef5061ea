#include "unpack/unpacker.hpp"

namespace iotaudit::unpack {

#define X(id, factory) std::unique_ptr<Unpacker> factory();
#include "unpack/unpackers.def"
#undef X

const std::vector<std::unique_ptr<Unpacker>>& registry() {
  static const std::vector<std::unique_ptr<Unpacker>> list = [] {
    std::vector<std::unique_ptr<Unpacker>> v;
#define X(id, factory) v.push_back(factory());
#include "unpack/unpackers.def"
#undef X
    return v;
  }();
  return list;
}

const Unpacker* find(std::string_view id) {
  for (const auto& u : registry())
    if (u->descriptor().id == id) return u.get();
  return nullptr;
}

}  // namespace iotaudit::unpack
