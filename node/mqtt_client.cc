#include "mqtt_client.h"

#include <mosquitto.h>

namespace tracery::node {

namespace {

std::once_flag lib_init;

Status MosqError(int rc, const std::string& what) {
  return Unavailable("mqtt " + what + ": " + mosquitto_strerror(rc));
}

}  // namespace

MqttClient::MqttClient(const MqttOptions& options, MessageHandler on_message,
                       ConnectionHandler on_connection)
    : options_(options),
      on_message_(std::move(on_message)),
      on_connection_(std::move(on_connection)) {}

Result<std::unique_ptr<MqttClient>> MqttClient::Start(const MqttOptions& options,
                                                      MessageHandler on_message,
                                                      ConnectionHandler on_connection) {
  if (options.client_id.empty() || options.client_id.size() > 23 * 4) {
    return InvalidArgument("mqtt client id: 1..92 bytes");
  }
  if (options.port <= 0 || options.port > 65535) return InvalidArgument("mqtt port: 1..65535");
  std::call_once(lib_init, [] { mosquitto_lib_init(); });
  std::unique_ptr<MqttClient> c(
      new MqttClient(options, std::move(on_message), std::move(on_connection)));
  c->mosq_ = mosquitto_new(options.client_id.c_str(), options.clean_session, c.get());
  if (c->mosq_ == nullptr) return Internal("mqtt: mosquitto_new failed");
  mosquitto_int_option(c->mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  mosquitto_max_inflight_messages_set(c->mosq_,
                                      static_cast<unsigned>(options.max_inflight_messages));
  mosquitto_int_option(c->mosq_, MOSQ_OPT_RECEIVE_MAXIMUM, options.max_inflight_messages);
  mosquitto_reconnect_delay_set(c->mosq_, static_cast<unsigned>(options.reconnect_min_s),
                                static_cast<unsigned>(options.reconnect_max_s), true);
  mosquitto_connect_callback_set(c->mosq_, &MqttClient::OnConnect);
  mosquitto_disconnect_callback_set(c->mosq_, &MqttClient::OnDisconnect);
  mosquitto_message_callback_set(c->mosq_, &MqttClient::OnMessage);
  // A refused first connection is retried by the network thread with the backoff.
  const int rc =
      mosquitto_connect_async(c->mosq_, options.host.c_str(), options.port, options.keepalive_s);
  if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_ERRNO) return MosqError(rc, "connect");
  if (int lrc = mosquitto_loop_start(c->mosq_); lrc != MOSQ_ERR_SUCCESS) {
    return MosqError(lrc, "loop start");
  }
  return c;
}

MqttClient::~MqttClient() {
  if (mosq_ == nullptr) return;
  mosquitto_disconnect(mosq_);
  mosquitto_loop_stop(mosq_, /*force=*/false);
  mosquitto_destroy(mosq_);
}

void MqttClient::OnConnect(mosquitto* m, void* self, int rc) {
  auto* c = static_cast<MqttClient*>(self);
  if (rc != 0) return;  // refused: the loop tries again
  std::vector<std::pair<std::string, int>> subs;
  {
    std::lock_guard<std::mutex> lock(c->mu_);
    c->connected_ = true;
    subs = c->subscriptions_;
  }
  for (const auto& [topic, qos] : subs) mosquitto_subscribe(m, nullptr, topic.c_str(), qos);
  if (c->on_connection_) c->on_connection_(true);
}

void MqttClient::OnDisconnect(mosquitto*, void* self, int) {
  auto* c = static_cast<MqttClient*>(self);
  {
    std::lock_guard<std::mutex> lock(c->mu_);
    c->connected_ = false;
  }
  if (c->on_connection_) c->on_connection_(false);
}

void MqttClient::OnMessage(mosquitto*, void* self, const mosquitto_message* msg) {
  auto* c = static_cast<MqttClient*>(self);
  if (!c->on_message_ || msg->topic == nullptr) return;
  std::string payload(static_cast<const char*>(msg->payload), static_cast<size_t>(msg->payloadlen));
  c->on_message_(msg->topic, std::move(payload));
}

Status MqttClient::Subscribe(const std::string& topic_filter, int qos) {
  bool connected;
  {
    std::lock_guard<std::mutex> lock(mu_);
    subscriptions_.emplace_back(topic_filter, qos);
    connected = connected_;
  }
  if (!connected) return Status::Ok();  // subscribed at the next connect
  const int rc = mosquitto_subscribe(mosq_, nullptr, topic_filter.c_str(), qos);
  if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_NO_CONN) return MosqError(rc, "subscribe");
  return Status::Ok();
}

Status MqttClient::Publish(const std::string& topic, std::string_view payload, int qos) {
  const int rc = mosquitto_publish(mosq_, nullptr, topic.c_str(), static_cast<int>(payload.size()),
                                   payload.data(), qos, false);
  if (rc != MOSQ_ERR_SUCCESS) return MosqError(rc, "publish " + topic);
  return Status::Ok();
}

bool MqttClient::connected() const {
  std::lock_guard<std::mutex> lock(mu_);
  return connected_;
}

}  // namespace tracery::node
