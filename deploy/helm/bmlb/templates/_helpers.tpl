{{/*
Labels of every object of a component (the same as deploy/*.yaml, so objects applied from there and
from this chart are the same objects). Argument: the component name.
*/}}
{{- define "bmlb.labels" -}}
app.kubernetes.io/name: bmlb
app.kubernetes.io/component: {{ . }}
{{- end }}

{{/* image: REPOSITORY:TAG. Argument: .Values.controller.image or .Values.speaker.image. */}}
{{- define "bmlb.image" -}}
{{ .repository }}:{{ .tag }}
{{- end }}

{{/* The flags both components take from the chart's values. Argument: the root context. */}}
{{- define "bmlb.commonArgs" -}}
- --namespace={{ .Release.Namespace }}
{{- with .Values.lbClass }}
- --lb-class={{ . }}
{{- end }}
{{- end }}

{{/* Pod fields both components take the same way. Argument: dict "root" $ "c" the component's values. */}}
{{- define "bmlb.podPlacement" -}}
{{- with .c.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with .root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .c.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .c.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
