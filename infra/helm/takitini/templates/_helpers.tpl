{{/* Common labels of every resource. */}}
{{- define "takitini.labels" -}}
app.kubernetes.io/part-of: takitini
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{/* A service's selector labels. Call with (dict "root" $ "name" $name). */}}
{{- define "takitini.selector" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end }}

{{/* A service's resource name: <release>-<service>. */}}
{{- define "takitini.fullname" -}}
{{- printf "%s-%s" .root.Release.Name .name | trunc 63 | trimSuffix "-" -}}
{{- end }}

{{/* The Kafka bootstrap address. */}}
{{- define "takitini.kafkaBootstrap" -}}
{{- if .Values.kafka.bootstrap -}}
{{ .Values.kafka.bootstrap }}
{{- else -}}
{{ printf "%s-kafka-bootstrap:%v" .Values.kafka.clusterName .Values.kafka.listenerPort }}
{{- end -}}
{{- end }}

{{/* The Secret holding the brokers' CA (ca.crt). */}}
{{- define "takitini.kafkaCaSecret" -}}
{{- default (printf "%s-cluster-ca-cert" .Values.kafka.clusterName) .Values.kafka.caSecret -}}
{{- end }}

{{/* The Strimzi cluster label. */}}
{{- define "takitini.strimziCluster" -}}
strimzi.io/cluster: {{ .Values.kafka.clusterName }}
{{- end }}

{{/* The generated Strimzi data (generated/strimzi.yaml). */}}
{{- define "takitini.strimziData" -}}
{{- .Files.Get "generated/strimzi.yaml" -}}
{{- end }}
