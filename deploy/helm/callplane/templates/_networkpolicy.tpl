{{/* Egress rules every callplane pod needs: DNS and Kafka. */}}
{{- define "callplane.egressDnsKafka" -}}
{{- $np := .Values.networkPolicy -}}
- to:
    {{- toYaml $np.dns.peers | nindent 4 }}
  ports:
    - {port: 53, protocol: UDP}
    - {port: 53, protocol: TCP}
- to:
    {{- toYaml $np.kafka.peers | nindent 4 }}
  ports:
    {{- range $np.kafka.ports }}
    - {port: {{ . }}, protocol: TCP}
    {{- end }}
{{- end -}}
