// A draft UK PSTI statement of compliance (Regulations 2023, Schedule 4) in Markdown, from the
// manufacturer declaration and the verdicts. Everything the statement must contain that neither
// provides is marked as a gap; the manufacturer completes, reviews and signs it. It is a draft:
// iotaudit cannot make the manufacturer's declaration of opinion for them.
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/hash.hpp"
#include "report/md.hpp"
#include "report/report.hpp"

namespace iotaudit::report {

namespace {

constexpr const char* kPsti = "UK PSTI";
constexpr const char* kEtsi = "ETSI EN 303 645";

// Firmware and declaration text: no markup, no line breaks, no pipes.
std::string cell(std::string_view s) { return md_text(s); }

std::string or_gap(const std::string& value, std::string_view what) {
  return value.empty() ? fmt::format("**GAP: {} not declared**", what) : cell(value);
}

}  // namespace

void write_psti_statement(const ScanResult& r, const Options& opt, std::ostream& os) {
  const Declaration* d = r.declaration ? &*r.declaration : nullptr;
  static const Declaration none;
  const Declaration& dec = d ? *d : none;
  std::map<std::string, const Finding*> by_fp;
  for (const auto& f : r.findings) by_fp[f.fingerprint] = &f;
  std::vector<const Verdict*> psti;
  for (const auto& v : r.verdicts)
    if (v.standard == kPsti) psti.push_back(&v);
  std::vector<const Verdict*> failing, open;
  for (const Verdict* v : psti) {
    if (v->provision.starts_with("Sch2")) continue;  // routes, not requirements
    if (v->status == VerdictStatus::fail) failing.push_back(v);
    else if (v->status != VerdictStatus::pass && v->status != VerdictStatus::not_applicable) open.push_back(v);
  }
  bool deemed = false;
  if (auto it = dec.conditions.find("uk-psti"); it != dec.conditions.end())
    if (auto c = it->second.find("deemed"); c != it->second.end()) deemed = c->second;

  os << "# Statement of compliance — UK PSTI (draft)\n\n";
  os << fmt::format(
      "Draft prepared by iotaudit {} for the Product Security and Telecommunications Infrastructure (Security "
      "Requirements for Relevant Connectable Products) Regulations 2023, from the firmware {} (SHA-256 `{}`){}. "
      "Items marked **GAP** must be completed before the statement is issued; the manufacturer reviews, "
      "completes and signs it.\n\n",
      opt.tool_version, md_code(r.input.name), r.input.sha256.empty() ? "-" : r.input.sha256,
      d ? fmt::format(" and the declaration {}", md_code(dec.source)) : std::string(" (no declaration was given)"));

  os << "## 1. Product (Schedule 4, para 1(1)(a))\n\n";
  os << fmt::format("- Product type: {}\n", or_gap(dec.product_name.empty() ? dec.product_model
                                                                             : dec.product_name +
                                                                                   (dec.product_model.empty() ? "" : " " + dec.product_model),
                                                 "product type"));
  os << fmt::format("- Batch: {}\n", or_gap(dec.product_batch, "batch"));
  os << fmt::format("- Firmware assessed: {}{}\n\n", md_code(r.input.name),
                    dec.firmware_version.empty() ? "" : fmt::format(" (version {})", cell(dec.firmware_version)));

  os << "## 2. Manufacturer (para 1(1)(b))\n\n";
  os << fmt::format("- Name: {}\n- Address: {}\n- Authorised representative (if any): **GAP: to be stated or marked none**\n\n",
                    or_gap(dec.manufacturer_name, "manufacturer name"),
                    or_gap(dec.manufacturer_address, "manufacturer address"));

  os << "## 3. Declaration (para 1(1)(c) and (d))\n\n";
  os << "This statement of compliance has been prepared by or on behalf of the manufacturer. ";
  if (failing.empty() && open.empty()) {
    os << "In the opinion of the manufacturer, it has complied with the applicable security requirements in "
          "Schedule 1"
       << (deemed ? " (through the deemed-compliance conditions of Schedule 2)" : "") << ".\n\n";
  } else {
    os << "In the opinion of the manufacturer, it has complied with the applicable security requirements in "
          "Schedule 1.\n\n";
    if (!failing.empty()) {
      os << fmt::format("**GAP: the assessment found {} requirement(s) that fail:", failing.size());
      for (const Verdict* v : failing) os << " " << v->provision;
      os << ". The manufacturer cannot make this declaration until they are resolved (section 6).**\n\n";
    }
    if (!open.empty()) {
      os << fmt::format("**GAP: {} requirement(s) need documentary evidence the declaration does not give:", open.size());
      for (const Verdict* v : open) os << " " << v->provision;
      os << ".**\n\n";
    }
  }

  os << "## 4. Defined support period (para 1(1)(e))\n\n";
  if (dec.support_end.empty()) {
    os << "**GAP: the defined support period (its end date) is not declared.**\n\n";
  } else {
    os << fmt::format("Security updates will be provided until at least {}.{}\n\n", dec.support_end,
                      dec.support_published_at.empty() ? " **GAP: where it is published is not declared.**"
                                                       : fmt::format(" Published at {}.", cell(dec.support_published_at)));
  }

  os << "## 5. Standard relied on for deemed compliance (para 1(2))\n\n";
  bool iso = false;
  if (auto it = dec.conditions.find("uk-psti"); it != dec.conditions.end())
    if (auto c = it->second.find("iso29147"); c != it->second.end()) iso = c->second;
  if (deemed)
    os << fmt::format("ETSI EN 303 645 V2.1.1 (2020-06), provisions 5.1-1, 5.1-2{} and 5.3-13 (Schedule 2).\n\n",
                      iso ? "" : ", 5.2-1");
  if (iso)
    os << "ISO/IEC 29147:2018 (2nd edition), paragraphs 6.2.2, 6.2.5 and 6.5, for the information on how to report "
          "security issues (Schedule 2 para 2(2)(b)).\n\n";
  if (!deemed && !iso) os << "None declared: compliance is with Schedule 1 directly.\n\n";

  os << "## 6. Requirements\n\n| requirement | verdict | basis |\n|---|---|---|\n";
  for (const Verdict* v : psti) {
    std::string basis = v->rationale;
    if (v->declared && !v->documents.empty()) basis += fmt::format(" (documents: {})", fmt::join(v->documents, ", "));
    std::size_t shown = 0;
    for (const auto& fp : v->finding_fingerprints) {
      auto it = by_fp.find(fp);
      if (it == by_fp.end() || shown == 3) continue;
      basis += (shown++ ? "; " : " — ") + it->second->title;
    }
    if (v->finding_fingerprints.size() > shown && shown > 0)
      basis += fmt::format("; +{} more", v->finding_fingerprints.size() - shown);
    for (const auto& n : v->notes) basis += " — CONTRADICTION: " + n;
    os << fmt::format("| {} | {}{} | {} |\n", v->provision, to_string(v->status), v->declared ? " (declared)" : "",
                      cell(basis));
  }
  os << "\n";
  if (!r.declaration_contradictions.empty()) {
    os << "Contradictions between the declaration and the firmware:\n\n";
    for (const auto& c : r.declaration_contradictions) os << "- " << cell(c) << "\n";
    os << "\n";
  }
  std::size_t etsi_fail = 0;
  for (const auto& v : r.verdicts) etsi_fail += v.standard == kEtsi && v.status == VerdictStatus::fail;
  if (etsi_fail > 0)
    os << fmt::format("The same assessment finds {} EN 303 645 provision(s) failing; see the full report.\n\n",
                      etsi_fail);

  os << "## 7. Signature (para 1(1)(f) and (g))\n\n"
        "- Signed for and on behalf of the manufacturer: **GAP**\n"
        "- Name and function of the signatory: **GAP**\n"
        "- Place and date of issue: **GAP**\n";
}

}  // namespace iotaudit::report
