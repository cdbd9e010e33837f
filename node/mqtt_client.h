// A small MQTT 3.1.1 client over libmosquitto: connects to host:port, reconnects with an
// exponential backoff, re-subscribes after every connect, publishes. The network runs on
// libmosquitto's own thread (mosquitto_loop_start).
//
// Thread-safety: Subscribe/Publish may be called from any thread. The handlers run on the
// network thread, one at a time; a handler may block briefly (a full bounded queue pushes back
// on the broker through TCP) but must not call Stop or destroy the client.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tracery/core/status.h"

struct mosquitto;
struct mosquitto_message;

namespace tracery::node {

struct MqttOptions {
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string client_id;  // required: with clean_session false the broker keeps the session
  // false: the broker keeps the subscriptions and queues QoS 1 messages while this client is
  // away (a node restart loses nothing the broker holds).
  bool clean_session = false;
  int keepalive_s = 10;
  int reconnect_min_s = 1;
  int reconnect_max_s = 16;
  // QoS 1 messages in flight in each direction (libmosquitto queues the rest locally).
  int max_inflight_messages = 1000;
};

class MqttClient {
 public:
  using MessageHandler = std::function<void(const std::string& topic, std::string payload)>;
  // Called with true after each successful connect (the subscriptions are renewed first), false
  // after each loss of the connection.
  using ConnectionHandler = std::function<void(bool connected)>;

  // Starts the network thread and the first connection attempt; a broker that is not up yet is
  // retried with the backoff (Start still succeeds).
  static Result<std::unique_ptr<MqttClient>> Start(const MqttOptions& options,
                                                   MessageHandler on_message,
                                                   ConnectionHandler on_connection);
  // Disconnects and joins the network thread.
  ~MqttClient();
  MqttClient(const MqttClient&) = delete;
  MqttClient& operator=(const MqttClient&) = delete;

  // Remembered and renewed at every connect.
  Status Subscribe(const std::string& topic_filter, int qos);
  // QoS 1 messages published while disconnected are queued by libmosquitto and sent after the
  // reconnect; a broker acknowledgement is still not delivery (see STYLE.md), so callers that
  // need delivery keep their own acknowledgement protocol.
  Status Publish(const std::string& topic, std::string_view payload, int qos);
  bool connected() const;

 private:
  MqttClient(const MqttOptions& options, MessageHandler on_message,
             ConnectionHandler on_connection);
  static void OnConnect(mosquitto* m, void* self, int rc);
  static void OnDisconnect(mosquitto* m, void* self, int rc);
  static void OnMessage(mosquitto* m, void* self, const mosquitto_message* msg);

  const MqttOptions options_;
  MessageHandler on_message_;
  ConnectionHandler on_connection_;
  mosquitto* mosq_ = nullptr;
  mutable std::mutex mu_;
  std::vector<std::pair<std::string, int>> subscriptions_;  // GUARDED_BY(mu_)
  bool connected_ = false;                                  // GUARDED_BY(mu_)
};

}  // namespace tracery::node
