"""Programme services: policy and guidance (宣贯), the service-resource directory, support requests (服务申请)."""
