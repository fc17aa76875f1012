"""investigate.evidence"""
