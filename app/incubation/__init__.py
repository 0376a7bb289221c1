"""After signing: assessments (项目评估, 一企一策) and milestones to market."""
