from trust_portal.api import strict_fields

strict_fields.install()
