#pragma once
#include <string>
#include <vector>

#include "model/tree.hpp"

namespace iotaudit {

struct ComponentLocation {
  NodeId node = kNoNode;
  std::string path;
  std::uint64_t offset = 0;
  std::string evidence;  // the string that identified it
};

struct Component {
  std::string name;        // "busybox"
  std::string version;     // "1.35.0"
  std::string cpe;         // CPE 2.3
  std::string purl;
  std::string method;      // package-db, classifier, banner
  double confidence = 0;
  std::vector<ComponentLocation> locations;
};

}  // namespace iotaudit
