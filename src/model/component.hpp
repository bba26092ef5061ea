#pragma once
// Components: software identified inside the firmware (product, version, CPE, PURL) with every
// place it was seen and how.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "model/tree.hpp"

namespace iotaudit {

// Where a component was seen: a file inside a filesystem, or a byte range of a raw blob.
struct Occurrence {
  NodeId node = kNoNode;      // the file, or the blob holding the range
  std::string path;           // the file's path in its filesystem; empty for raw blobs
  std::uint64_t offset = 0;   // of the evidence inside the node's content
  std::string evidence;       // the matched text
  std::string method;         // "classifier:busybox#1"
  std::string confidence;     // "high", "medium", "low"
};

// A component another one needs at run time: an executable or library of the first names a shared
// library (DT_NEEDED) that belongs to the second.
struct ComponentLink {
  std::string id, version;
  std::string evidence;  // "/usr/sbin/dropbear needs libz.so.1 (/usr/lib/libz.so.1)"
};

// One product at one version, with every place it was seen.
struct Component {
  std::string id;             // classifier id: "busybox"
  std::string name;           // "BusyBox"
  std::string vendor;
  std::string version;
  std::string cpe;            // full CPE 2.3 name with the version
  std::string purl;           // with the version
  std::string confidence;     // the best of its occurrences
  std::vector<Occurrence> occurrences;
  std::size_t occurrences_omitted = 0;  // seen more often than the list keeps
  // Facts about this component beyond its version, e.g. {"busybox:applets", "ash,cat,..."}.
  std::vector<std::pair<std::string, std::string>> properties;
  std::vector<ComponentLink> depends_on;  // sorted by the needed component, unique
};

}  // namespace iotaudit
