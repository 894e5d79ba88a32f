{{/*
  email: S/MIME signing and encryption. Only the email addresses of the
  request become SANs. RSA keys encrypt by key transport
  (keyEncipherment), EC keys by key agreement (keyAgreement).
*/ -}}
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
