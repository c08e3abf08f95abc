<?php

namespace App\Models;

use Illuminate\Database\Eloquent\Relations\BelongsToMany;
use Illuminate\Database\Eloquent\Relations\HasMany;
use Illuminate\Foundation\Auth\User as Authenticatable;

class User extends Authenticatable
{
    protected $fillable = ['name', 'email', 'tenant_id'];

    protected $hidden = ['password', 'remember_token'];

    public function webhooks(): HasMany
    {
        return $this->hasMany(Webhook::class, 'created_by_user_id');
    }

    public function apiKeys(): HasMany
    {
        return $this->hasMany(APIKey::class, foreignKey: 'created_by_user_id', localKey: 'id');
    }

    // decoy: agents.created_by_user_id was not renamed
    public function agents(): HasMany
    {
        return $this->hasMany(Agent::class, 'created_by_user_id');
    }

    public function teams(): BelongsToMany
    {
        return $this->belongsToMany(Team::class, 'team_members')
            ->withPivot('joined_at')
            ->withTimestamps();
    }

    public function activeWebhooks(): HasMany
    {
        return $this->webhooks()->where('is_active', true)->orderBy('webhooks.created_by_user_id');
    }

    public function recentTeams(): BelongsToMany
    {
        return $this->teams()->wherePivot('joined_at', '>=', '2025-01-01');
    }
}
