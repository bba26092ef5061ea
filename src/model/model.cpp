#include "model/facts.hpp"
#include "model/verdict.hpp"

namespace iotaudit {

const char* to_string(FileKind k) {
  switch (k) {
    case FileKind::unknown: return "unknown";
    case FileKind::elf: return "elf";
    case FileKind::script: return "script";
    case FileKind::text: return "text";
    case FileKind::data: return "data";
    case FileKind::empty: return "empty";
  }
  return "unknown";
}

const char* to_string(PasswordState s) {
  switch (s) {
    case PasswordState::hash: return "hash";
    case PasswordState::empty: return "empty";
    case PasswordState::locked: return "locked";
    case PasswordState::shadowed: return "shadowed";
    case PasswordState::missing: return "missing";
  }
  return "missing";
}

const char* to_string(VerdictStatus v) {
  switch (v) {
    case VerdictStatus::pass: return "pass";
    case VerdictStatus::fail: return "fail";
    case VerdictStatus::not_applicable: return "not_applicable";
    case VerdictStatus::inconclusive: return "inconclusive";
    case VerdictStatus::needs_evidence: return "needs_evidence";
  }
  return "inconclusive";
}

}  // namespace iotaudit
