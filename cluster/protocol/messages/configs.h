#pragma once
// Configs: DescribeConfigs (key 32) v0-2, AlterConfigs (key 33) v0-1.
// Resource types: 2 = topic, 4 = broker (Kafka's ConfigResource.Type).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cluster/protocol/api_key.h"
#include "cluster/protocol/error_code.h"
#include "cluster/protocol/types.h"

namespace meridian::protocol {

inline constexpr int8_t kConfigResourceTopic = 2;
inline constexpr int8_t kConfigResourceBroker = 4;

struct DescribeConfigsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kDescribeConfigs;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 2;

  struct Synonym {  // v1+
    std::string name;
    std::optional<std::string> value;
    int8_t source = 0;
    template <class Io>
    void io(Io& io, int16_t) {
      io.field(name);
      io.field(value);
      io.field(source);
    }
    friend bool operator==(const Synonym&, const Synonym&) = default;
  };
  struct Config {
    std::string name;
    std::optional<std::string> value;
    bool read_only = false;
    bool is_default = false;    // v0 only (v1+ says it with config_source)
    int8_t config_source = -1;  // v1+: 1 topic, 4 static broker, 5 default, ...
    bool is_sensitive = false;
    std::vector<Synonym> synonyms;  // v1+
    template <class Io>
    void io(Io& io, int16_t v) {
      io.field(name);
      io.field(value);
      io.field(read_only);
      if (v == 0) {
        io.field(is_default);
      } else {
        io.field(config_source);
      }
      io.field(is_sensitive);
      if (v >= 1) {
        io.array(synonyms, v);
      }
    }
    friend bool operator==(const Config&, const Config&) = default;
  };
  struct ResourceResult {
    ErrorCode error_code = ErrorCode::kNone;
    std::optional<std::string> error_message;
    int8_t resource_type = 0;
    std::string resource_name;
    std::vector<Config> configs;
    template <class Io>
    void io(Io& io, int16_t v) {
      io.field(error_code);
      io.field(error_message);
      io.field(resource_type);
      io.field(resource_name);
      io.array(configs, v);
    }
    friend bool operator==(const ResourceResult&, const ResourceResult&) = default;
  };

  int32_t throttle_time_ms = 0;
  std::vector<ResourceResult> results;

  template <class Io>
  void io(Io& io, int16_t v) {
    io.field(throttle_time_ms);
    io.array(results, v);
  }
  friend bool operator==(const DescribeConfigsResponse&, const DescribeConfigsResponse&) = default;
};

struct DescribeConfigsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kDescribeConfigs;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 2;
  using Response = DescribeConfigsResponse;

  struct Resource {
    int8_t resource_type = 0;
    std::string resource_name;
    std::optional<std::vector<std::string>> configuration_keys;  // null = all
    template <class Io>
    void io(Io& io, int16_t v) {
      io.field(resource_type);
      io.field(resource_name);
      io.array(configuration_keys, v);
    }
    friend bool operator==(const Resource&, const Resource&) = default;
  };

  std::vector<Resource> resources;
  bool include_synonyms = false;  // v1+

  template <class Io>
  void io(Io& io, int16_t v) {
    io.array(resources, v);
    if (v >= 1) {
      io.field(include_synonyms);
    }
  }
  friend bool operator==(const DescribeConfigsRequest&, const DescribeConfigsRequest&) = default;
};

struct AlterConfigsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kAlterConfigs;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 1;

  struct ResourceResult {
    ErrorCode error_code = ErrorCode::kNone;
    std::optional<std::string> error_message;
    int8_t resource_type = 0;
    std::string resource_name;
    template <class Io>
    void io(Io& io, int16_t) {
      io.field(error_code);
      io.field(error_message);
      io.field(resource_type);
      io.field(resource_name);
    }
    friend bool operator==(const ResourceResult&, const ResourceResult&) = default;
  };

  int32_t throttle_time_ms = 0;
  std::vector<ResourceResult> responses;

  template <class Io>
  void io(Io& io, int16_t v) {
    io.field(throttle_time_ms);
    io.array(responses, v);
  }
  friend bool operator==(const AlterConfigsResponse&, const AlterConfigsResponse&) = default;
};

struct AlterConfigsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kAlterConfigs;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 1;
  using Response = AlterConfigsResponse;

  struct Config {
    std::string name;
    std::optional<std::string> value;
    template <class Io>
    void io(Io& io, int16_t) {
      io.field(name);
      io.field(value);
    }
    friend bool operator==(const Config&, const Config&) = default;
  };
  struct Resource {
    int8_t resource_type = 0;
    std::string resource_name;
    std::vector<Config> configs;  // replaces the whole set (non-incremental)
    template <class Io>
    void io(Io& io, int16_t v) {
      io.field(resource_type);
      io.field(resource_name);
      io.array(configs, v);
    }
    friend bool operator==(const Resource&, const Resource&) = default;
  };

  std::vector<Resource> resources;
  bool validate_only = false;

  template <class Io>
  void io(Io& io, int16_t v) {
    io.array(resources, v);
    io.field(validate_only);
  }
  friend bool operator==(const AlterConfigsRequest&, const AlterConfigsRequest&) = default;
};

}  // namespace meridian::protocol
