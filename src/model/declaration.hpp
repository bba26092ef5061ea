#pragma once
// A manufacturer declaration: what only documents can show (support period, disclosure policy,
// update policy, which conditions of a standard hold, answers to documentation-only provisions).
// Parsed by comply/declaration.cpp; verdicts cite it as "declared" evidence.
#include <map>
#include <string>
#include <vector>

namespace iotaudit {

struct DeclaredAnswer {
  std::string text;                    // how the provision is met
  std::vector<std::string> documents;  // references: URLs, document ids
};

struct Declaration {
  std::string source;  // the file it came from
  std::string manufacturer_name, manufacturer_address;
  std::string product_name, product_model, product_batch, firmware_version;
  std::string support_end;             // YYYY-MM-DD: the end of the defined support period
  std::string support_published_at;    // where the period is published
  std::string disclosure_policy_url, disclosure_contact;
  std::string update_policy;
  // catalog id -> condition number -> holds
  std::map<std::string, std::map<std::string, bool>> conditions;
  // "catalog-id:provision" -> answer
  std::map<std::string, DeclaredAnswer> answers;
};

}  // namespace iotaudit
