"""DWR v3 tests. Differential modules skip when huaweicloudsdkcore is not installed."""
