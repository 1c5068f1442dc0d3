{{/* Every object is named <release>-<service> unless the release already is "callplane". */}}
{{- define "callplane.prefix" -}}
{{- if eq .Release.Name .Chart.Name -}}{{ .Chart.Name }}{{- else -}}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" }}{{- end -}}
{{- end -}}

{{- define "callplane.fullname" -}}
{{- printf "%s-%s" (include "callplane.prefix" .root) .service | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "callplane.instanceLabels" -}}
app.kubernetes.io/part-of: callplane
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "callplane.labels" -}}
{{ include "callplane.selectorLabels" . }}
app.kubernetes.io/part-of: callplane
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{- define "callplane.selectorLabels" -}}
app.kubernetes.io/name: {{ .service }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{- define "callplane.image" -}}
{{- $image := .Values.image -}}
{{- if $image.digest -}}
{{ $image.repository }}@{{ $image.digest }}
{{- else -}}
{{ $image.repository }}:{{ $image.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end -}}

{{/* Both the pod and the container side of the hardened security context. */}}
{{- define "callplane.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "callplane.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
allowPrivilegeEscalation: false
privileged: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "callplane.secretKeyRef" -}}
valueFrom:
  secretKeyRef:
    name: {{ required (printf "%s: a Secret name is required" .what) .ref.name }}
    key: {{ required (printf "%s: a Secret key is required" .what) .ref.key }}
{{- end -}}

{{/* "true" when Kafka needs SASL credentials; "true" when a custom CA is to be mounted. */}}
{{- define "callplane.kafkaSasl" -}}
{{- if has .Values.kafka.securityProtocol (list "SASL_PLAINTEXT" "SASL_SSL") -}}true{{- end -}}
{{- end -}}

{{- define "callplane.kafkaTls" -}}
{{- if and (has .Values.kafka.securityProtocol (list "SSL" "SASL_SSL")) .Values.kafka.tls.caSecret.name -}}true{{- end -}}
{{- end -}}

{{/*
The Kafka settings as container env, for a pod that cannot use the services' ConfigMaps (the
topic hook Job runs before they exist): the same values the ConfigMaps and Deployments carry.
*/}}
{{- define "callplane.kafkaEnv" -}}
- name: KAFKA_BOOTSTRAP_SERVERS
  value: {{ .Values.kafka.bootstrapServers | quote }}
{{- if ne .Values.kafka.securityProtocol "PLAINTEXT" }}
- name: KAFKA_SECURITY_PROTOCOL
  value: {{ .Values.kafka.securityProtocol | quote }}
{{- end }}
{{- if eq (include "callplane.kafkaSasl" .) "true" }}
- name: KAFKA_SASL_MECHANISM
  value: {{ .Values.kafka.sasl.mechanism | quote }}
- name: KAFKA_SASL_USERNAME
  {{- include "callplane.secretKeyRef" (dict "what" "kafka.sasl.usernameSecret" "ref" .Values.kafka.sasl.usernameSecret) | nindent 2 }}
- name: KAFKA_SASL_PASSWORD
  {{- include "callplane.secretKeyRef" (dict "what" "kafka.sasl.passwordSecret" "ref" .Values.kafka.sasl.passwordSecret) | nindent 2 }}
{{- end }}
{{- if eq (include "callplane.kafkaTls" .) "true" }}
- name: KAFKA_SSL_CA_FILE
  value: /etc/callplane/kafka-ca/{{ .Values.kafka.tls.caSecret.key }}
{{- end }}
{{- end -}}

{{- define "callplane.kafkaCaVolume" -}}
- name: kafka-ca
  secret:
    secretName: {{ .Values.kafka.tls.caSecret.name }}
    items:
      - key: {{ .Values.kafka.tls.caSecret.key }}
        path: {{ .Values.kafka.tls.caSecret.key }}
{{- end -}}

{{- define "callplane.terminationGracePeriodSeconds" -}}
{{- $c := .Values.common -}}
{{- add $c.preStopSleepSeconds (ceil $c.shutdownGraceSeconds) $c.terminationMarginSeconds -}}
{{- end -}}
