#pragma once
// Errors of the coordination store. The first group mirrors ZooKeeper's API errors so callers can
// branch on them the same way whatever the backend (an etcd backend maps its codes here too).

#include <string>
#include <system_error>

namespace meridian::coord {

enum class errc {
  ok = 0,
  no_node,                     // the node (or, for create, its parent) does not exist
  node_exists,                 // create of a path that exists
  bad_version,                 // compare-and-set lost: the node's version differs from expected
  not_empty,                   // delete of a node that has children
  no_children_for_ephemerals,  // create under an ephemeral node
  invalid_path,                // not absolute, empty component, trailing '/', NUL byte
  connection_loss,             // request outcome unknown: the connection dropped (may recover)
  operation_timeout,           // no answer in time; outcome unknown
  session_expired,             // the session is gone with its ephemerals: make a new store
  closed,                      // the store was closed by its owner
  bad_config,                  // unknown backend, empty connect string, missing ensemble
  backend_error,               // any other backend failure (logged with the native code)
};

const std::error_category& error_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace meridian::coord

template <>
struct std::is_error_code_enum<meridian::coord::errc> : std::true_type {};
