{{/*
  email: S/MIME signing and encryption. Only the email addresses of the
  request become SANs. RSA keys encrypt by key transport
  (keyEncipherment), EC keys by key agreement (keyAgreement).
*/ -}}
{{- $emails := 0 }}
{{- range .SANs }}{{ if eq .Type "email" }}{{ $emails = 1 }}{{ end }}{{ end }}
{{- if not $emails }}{{ fail "the email profile needs an email address SAN" }}{{ end }}
{
	"subject": {{ toJson .Subject }},
	"emailAddresses": [
{{- $sep := "" }}
{{- range .SANs }}
	{{- if eq .Type "email" }}{{ $sep }}{{ toJson .Value }}{{ $sep = ", " }}{{ end }}
{{- end -}}
	],
{{- if typeIs "*rsa.PublicKey" .Insecure.CR.PublicKey }}
	"keyUsage": ["digitalSignature", "keyEncipherment"],
{{- else if typeIs "*ecdsa.PublicKey" .Insecure.CR.PublicKey }}
	"keyUsage": ["digitalSignature", "keyAgreement"],
{{- else }}
	"keyUsage": ["digitalSignature"],
{{- end }}
	"extKeyUsage": ["emailProtection"]
}
