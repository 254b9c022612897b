export { startLocalBroker, stopProcess, waitForBroker, freePort, type LocalBroker, type StartOptions } from "./kafka/broker.js";
export { ensureKafkaDistribution, kafkaVersion, libsDir } from "./kafka/distribution.js";
export { renderLog4jProperties, renderServerProperties, type NodeSettings } from "./kafka/properties.js";
export { provideKafka, type ProvidedKafka } from "./kafka/provide.js";
export { ensureTopics, loadTopicDeclarations, parseTopicDeclarations, TopicDeclarationError, type TopicDeclaration } from "./kafka/topics.js";
