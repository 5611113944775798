#include "gateway/response.h"

#include "gateway/http_errors.h"

namespace meridian::gateway {

Response make_response(http::status status, std::string body, std::string_view content_type,
                       unsigned version) {
  Response res{status, version};
  res.set(http::field::content_type, content_type);
  res.body() = std::move(body);
  return res;
}

Response make_error_response(const ApiError& error, unsigned version, bool v3) {
  const ErrorSpec& spec = error_spec(error.kind);
  return make_response(static_cast<http::status>(spec.status), render_error_body(error),
                       v3 ? kV3ContentType : kErrorContentType, version);
}

Response make_error_response(const ApiError& error, const Request& request) {
  return make_error_response(error, request.version(), is_v3_target(request.target()));
}

}  // namespace meridian::gateway
