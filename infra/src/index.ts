export {
  brokerCommand,
  brokerFiles,
  brokerLogTail,
  newClusterId,
  readBrokerState,
  stopBrokerIn,
  waitForBroker,
  type BrokerState,
  type LocalBroker,
  type StartOptions,
} from "./kafka/broker.js";
export {
  clusterFiles,
  clusterLayout,
  clusterManifestSchema,
  readClusterManifest,
  readClusterState,
  startLocalBroker,
  startLocalCluster,
  stopClusterIn,
  type ClusterManifest,
  type ClusterNode,
  type ClusterOptions,
  type LocalCluster,
} from "./kafka/cluster.js";
export {
  activeController,
  clusterHealthProblems,
  groupCoordinator,
  leaderOf,
  partitionLeader,
  quorumLeader,
  transactionCoordinator,
  waitForClusterHealthy,
  type ClusterHealthOptions,
  type PartitionHealth,
} from "./kafka/faults.js";
export { infraKafka, parseBrokerList, silenceKafkajsTimerWarning, type KafkaAccess } from "./kafka/client.js";
export {
  aclCommands,
  aclKey,
  AclGenerationError,
  adapterPrincipal,
  GROUP_PREFIX,
  meshAcls,
  meshPrincipals,
  partnerPrincipal,
  SERVICE_PRINCIPALS,
  SUPER_USERS,
  topicAccessTable,
  TRANSACTIONAL_ID_PREFIX,
  type AclEntry,
  type AclSubscriber,
} from "./kafka/acls.js";
export { applyAcls, loadAclSubscribers, loadMeshAcls, type ApplyAclsResult } from "./kafka/acl-admin.js";
export { ensurePki, ISSUE_SCRIPT, localPkiDir, meshPublishers, pkiFiles, principalEnv, principalSecurity } from "./kafka/pki.js";
export {
  COMPLETE_MARKER,
  ensureKafkaDistribution,
  findJava,
  findMaven,
  isDistributionComplete,
  kafkaVersion,
  libsDir,
  mavenFetch,
  withLock,
  type EnsureDistributionOptions,
  type Fetcher,
} from "./kafka/distribution.js";
export { cacheDir, localClusterDataDir, localDataDir, POM_PATH, REPO_ROOT, TOPICS_PATH } from "./kafka/paths.js";
export { freePort, freePorts, isPortFree } from "./kafka/ports.js";
export { commandLine, isAlive, startWatchdog, stopProcess, waitForExit, type StopResult } from "./kafka/process.js";
export {
  parseProperties,
  PRINCIPAL_MAPPING_RULE,
  quorumVoters,
  renderLog4jProperties,
  renderServerProperties,
  replicationSettings,
  securitySettings,
  serverSettings,
  type BrokerTls,
  type NodeSettings,
  type PropertyValue,
  type QuorumVoter,
} from "./kafka/properties.js";
export { DEFAULT_KAFKA_IMAGE, dockerAnswers, provideKafka, securityKit, type KafkaMode, type ProvidedKafka, type ProvideKafkaOptions } from "./kafka/provide.js";
export {
  describeTopics,
  environmentFor,
  minInsyncReplicas,
  replicationFactorSchema,
  resolveReplication,
  TOPIC_ENVIRONMENTS,
  waitForTopicLeaders,
  ensureTopics,
  loadTopicDeclarations,
  parseTopicDeclarations,
  replicationOverride,
  topicConfigEntries,
  TopicDeclarationError,
  topicDeclarationSchema,
  topicsFileSchema,
  TOPIC_ROLES,
  type TopicRole,
  type EnsureTopicsResult,
  type TopicDeclaration,
  type TopicDeclarationIssue,
  type TopicDeclarationOptions,
  type TopicEnvironment,
  type DeclaredReplication,
} from "./kafka/topics.js";
export { warmUpCoordinators } from "./kafka/warmup.js";
export { auditRoles, postgresSettings, providePostgres, redactUrl, type AuditRoleUrls, type PostgresMode, type ProvidedPostgres, type ProvidePostgresOptions } from "./postgres/provide.js";
export { backoffDelay, DEFAULT_BACKOFF, decideRestart, describeExit, isFailure, type BackoffPolicy, type ExitFacts, type ExitStatus, type RestartDecision, type RestartWhen } from "./supervisor/backoff.js";
export { linkageKeyFile, MESH_SERVICES, MESH_SUPERVISOR_METRICS_PORT, meshPlan, meshPorts, meshServiceEnv, meshServiceSpec, meshSettingsFromEnv, type MeshPorts, type MeshService, type MeshSettings } from "./supervisor/mesh.js";
export { parsePlan, PlanError, planSchema, readPlan, type ServiceSpec, type SupervisorPlan, type SupervisorPlanInput } from "./supervisor/plan.js";
export { Supervisor, type ServiceState, type ServiceStatus, type SupervisorOptions, type SupervisorStatus } from "./supervisor/supervisor.js";
export { SERVICE_NODE_FLAGS } from "./supervisor/node-flags.js";
