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

const char* to_string(Tristate t) {
  switch (t) {
    case Tristate::yes: return "yes";
    case Tristate::no: return "no";
    case Tristate::unknown: return "unknown";
  }
  return "unknown";
}

const char* to_string(PieKind p) {
  switch (p) {
    case PieKind::yes: return "yes";
    case PieKind::no: return "no";
    case PieKind::dso: return "dso";
    case PieKind::rel: return "rel";
    case PieKind::unknown: return "unknown";
  }
  return "unknown";
}

const char* to_string(Relro r) {
  switch (r) {
    case Relro::none: return "none";
    case Relro::partial: return "partial";
    case Relro::full: return "full";
  }
  return "none";
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
