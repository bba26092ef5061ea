#pragma once
// Result<T>: the one error-handling currency between stages. Third-party exceptions are caught at
// the adapter and turned into Error; nothing else throws across a stage boundary.
#include <string>
#include <utility>

#include <tl/expected.hpp>

namespace iotaudit {

enum class Errc {
  io,                // the host could not read or write a file
  truncated,         // input ends before a structure it declares
  malformed,         // a structure is present but its fields contradict each other
  unsupported,       // a known variant that is not handled
  limit,             // a Limits cap was reached
  not_found,         // a path or record does not exist
  invalid_argument,  // caller error (bad flag, bad path)
  internal,
};

const char* to_string(Errc c) noexcept;

struct Error {
  Errc code = Errc::internal;
  std::string message;
};

template <class T>
using Result = tl::expected<T, Error>;
using Status = tl::expected<void, Error>;

[[nodiscard]] inline tl::unexpected<Error> fail(Errc code, std::string message) {
  return tl::unexpected<Error>(Error{code, std::move(message)});
}

}  // namespace iotaudit

// The two propagation macros; nothing else in the code base is a macro.
#define IOTAUDIT_CONCAT_INNER(a, b) a##b
#define IOTAUDIT_CONCAT(a, b) IOTAUDIT_CONCAT_INNER(a, b)

#define TRY(expr)                                                      \
  do {                                                                 \
    auto&& _try_result = (expr);                                       \
    if (!_try_result) return tl::unexpected(std::move(_try_result).error()); \
  } while (0)

#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr)                  \
  auto tmp = (expr);                                           \
  if (!tmp) return tl::unexpected(std::move(tmp).error());     \
  lhs = std::move(*tmp)

#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(IOTAUDIT_CONCAT(_aor_, __LINE__), lhs, expr)
