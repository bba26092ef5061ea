#include "match/cvss.hpp"

#include <array>
#include <cmath>
#include <cstdint>

namespace iotaudit::match {

namespace {

struct Metric {
  std::string_view name;
  std::string_view values;          // one letter per allowed value
  std::array<double, 5> weights{};  // parallel to values
};

// Splits "K:V/K:V..." and hands each pair to `take`, which returns false for an unknown metric.
// False when the syntax is wrong or a metric repeats.
template <typename F>
bool for_each_metric(std::string_view v, F take) {
  std::uint64_t seen = 0;
  while (!v.empty()) {
    std::size_t slash = v.find('/');
    std::string_view part = v.substr(0, slash);
    v = slash == std::string_view::npos ? std::string_view() : v.substr(slash + 1);
    if (slash != std::string_view::npos && v.empty()) return false;  // trailing '/'
    std::size_t colon = part.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 >= part.size()) return false;
    int index = take(part.substr(0, colon), part.substr(colon + 1));
    if (index < 0) return false;
    if (index < 64) {
      if (seen & (1ull << index)) return false;
      seen |= 1ull << index;
    }
  }
  return true;
}

// Looks up `value` among a metric's letters; -1 when it is not one of them.
int value_index(const Metric& m, std::string_view value) {
  if (value.size() != 1) return -1;
  std::size_t at = m.values.find(value[0]);
  return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

// Reads a vector's metrics: every base metric exactly once with an allowed value (its index into
// `got`), other known metrics (temporal, environmental) with values of at most `other_len`
// characters, nothing unknown.
template <std::size_t N, std::size_t M>
bool read_base(std::string_view v, const std::array<Metric, N>& base, const std::array<std::string_view, M>& other,
               std::size_t other_len, std::array<int, N>& got) {
  got.fill(-1);
  bool ok = for_each_metric(v, [&](std::string_view k, std::string_view val) -> int {
    for (std::size_t i = 0; i < N; ++i)
      if (base[i].name == k) {
        got[i] = value_index(base[i], val);
        return got[i] < 0 ? -1 : static_cast<int>(i);
      }
    for (std::size_t i = 0; i < M; ++i)
      if (other[i] == k) return !val.empty() && val.size() <= other_len ? static_cast<int>(N + i) : -1;
    return -1;
  });
  if (!ok) return false;
  for (int g : got)
    if (g < 0) return false;
  return true;
}

// CVSS v3.1 Roundup: the smallest number with one decimal >= x, computed on integers so that
// floating-point noise (4.000000001) does not round up.
double roundup31(double x) {
  auto i = static_cast<std::int64_t>(std::llround(x * 100000));
  if (i % 10000 == 0) return static_cast<double>(i) / 100000.0;
  return static_cast<double>(i / 10000 + 1) / 10.0;
}

}  // namespace

double cvss3_base_score(std::string_view v) {
  if (v.size() > 256 || v.size() < 9 || v.substr(0, 5) != "CVSS:") return -1;
  std::string_view version = v.substr(5, 3);
  if (version != "3.0" && version != "3.1") return -1;
  if (v.size() < 10 || v[8] != '/') return -1;
  v.remove_prefix(9);
  // Base metrics; PR's weights depend on the scope and are resolved below.
  static const std::array<Metric, 8> base = {{
      {"AV", "NALP", {0.85, 0.62, 0.55, 0.2}},
      {"AC", "LH", {0.77, 0.44}},
      {"PR", "NLH", {0.85, 0.62, 0.27}},
      {"UI", "NR", {0.85, 0.62}},
      {"S", "UC", {0, 1}},
      {"C", "HLN", {0.56, 0.22, 0}},
      {"I", "HLN", {0.56, 0.22, 0}},
      {"A", "HLN", {0.56, 0.22, 0}},
  }};
  static const std::array<std::string_view, 14> other = {"E",   "RL",  "RC",  "CR",  "IR", "AR", "MAV",
                                                         "MAC", "MPR", "MUI", "MS",  "MC", "MI", "MA"};
  std::array<int, 8> got;
  if (!read_base(v, base, other, 1, got)) return -1;
  bool changed = got[4] == 1;
  double av = base[0].weights[got[0]], ac = base[1].weights[got[1]], ui = base[3].weights[got[3]];
  double pr = base[2].weights[got[2]];
  if (changed && got[2] == 1) pr = 0.68;
  if (changed && got[2] == 2) pr = 0.5;
  double c = base[5].weights[got[5]], i = base[6].weights[got[6]], a = base[7].weights[got[7]];
  double iss = 1 - (1 - c) * (1 - i) * (1 - a);
  double impact = changed ? 7.52 * (iss - 0.029) - 3.25 * std::pow(iss - 0.02, 15) : 6.42 * iss;
  double exploitability = 8.22 * av * ac * pr * ui;
  if (impact <= 0) return 0;
  double raw = changed ? std::min(1.08 * (impact + exploitability), 10.0) : std::min(impact + exploitability, 10.0);
  // 3.0 rounds up to one decimal directly; 3.1 guards against floating-point noise.
  return version == "3.0" ? std::ceil(raw * 10) / 10 : roundup31(raw);
}

double cvss2_base_score(std::string_view v) {
  if (v.size() > 256) return -1;
  if (v.size() >= 2 && v.front() == '(' && v.back() == ')') v = v.substr(1, v.size() - 2);
  static const std::array<Metric, 6> base = {{
      {"AV", "LAN", {0.395, 0.646, 1.0}},
      {"AC", "HML", {0.35, 0.61, 0.71}},
      {"Au", "MSN", {0.45, 0.56, 0.704}},
      {"C", "NPC", {0, 0.275, 0.660}},
      {"I", "NPC", {0, 0.275, 0.660}},
      {"A", "NPC", {0, 0.275, 0.660}},
  }};
  static const std::array<std::string_view, 8> other = {"E", "RL", "RC", "CDP", "TD", "CR", "IR", "AR"};
  std::array<int, 6> got;
  if (!read_base(v, base, other, 3, got)) return -1;
  double c = base[3].weights[got[3]], i = base[4].weights[got[4]], a = base[5].weights[got[5]];
  double impact = 10.41 * (1 - (1 - c) * (1 - i) * (1 - a));
  double exploitability = 20 * base[0].weights[got[0]] * base[1].weights[got[1]] * base[2].weights[got[2]];
  double f = impact == 0 ? 0 : 1.176;
  double score = ((0.6 * impact) + (0.4 * exploitability) - 1.5) * f;
  return std::round(score * 10) / 10;
}

std::string cvss_severity(double s) {
  return s <= 0 ? "NONE" : s < 4 ? "LOW" : s < 7 ? "MEDIUM" : s < 9 ? "HIGH" : "CRITICAL";
}

}  // namespace iotaudit::match
